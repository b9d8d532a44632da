import * as authorization from "@pulumi/azure-native/authorization";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SECRET_NAMES, SecretNames, adminConsentUrl, partnerCenterScope } from "../bootstrap/src/core/contract";
import { StackConfig, configWarnings } from "./config";
import { GitHubDeployer } from "./github-deployer";
import { GitHubRefresher } from "./github-refresher";
import { KeyVault } from "./key-vault";
import { keyVaultNamePrefix, stackTags } from "./naming";
import { PartnerCenterApp } from "./partner-center-app";
import { applyError } from "./run-error";
import { VaultAlerts } from "./vault-alerts";
import { VaultSecrets } from "./vault-secrets";

/** The stack outputs: the contract `npm run bootstrap` and the refresh tooling read. No value is secret. */
export interface StackOutputs {
  tenantId: pulumi.Output<string>;
  clientId: pulumi.Output<string>;
  applicationObjectId: pulumi.Output<string>;
  servicePrincipalObjectId: pulumi.Output<string>;
  redirectUri: string;
  keyVaultName: pulumi.Output<string>;
  keyVaultUri: pulumi.Output<string>;
  secretNames: SecretNames;
  scopes: string[];
  authorityHost: string;
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint (config `graphEndpoint`): where the commands call Graph and what the `graph` scope alias names. */
  graphEndpoint: string;
  /** RFC 3339 end date of the current client secret; only with `appCredential: secret`. */
  clientSecretExpiresAt?: pulumi.Output<string>;
  /** RFC 3339 end date of the current certificate; only with `appCredential: certificate`. */
  clientCertificateExpiresAt?: pulumi.Output<string>;
  /** SHA-256 thumbprint (hex) of the current certificate, as Entra ID lists it; only with `appCredential: certificate`. */
  clientCertificateThumbprint?: pulumi.Output<string>;
  adminConsentUrl: pulumi.Output<string>;
  /** Whether the app is multi-tenant (`AzureADMultipleOrgs`): the `consent` command refuses a single-tenant app. */
  multiTenant: boolean;
  /** Delegated Graph scope names the `consent` command grants the app in customer tenants. */
  customerGraphScopes: string[];
  /** Config customerInclude: the customer tenant ids the fleet commands cover (empty = all). */
  customerInclude: string[];
  /** Config customerExclude: the customer tenant ids the fleet commands leave out. */
  customerExclude: string[];
  /** Config gdapRoles as Entra role template ids: the roles every customer must grant. */
  gdapRoles: string[];
  /** Client id of the GitHub Actions refresher identity; only when `githubRepository` and `githubEnvironment` are configured. */
  refresherClientId?: pulumi.Output<string>;
  /** Client id of the identity that runs `pulumi up` from GitHub Actions; only when `githubDeployEnvironment` is configured. */
  deployerClientId?: pulumi.Output<string>;
  /** Resource id of the expiry alerts' Azure Monitor action group; only when `alertEmails` or `alertWebhooks` are configured. */
  alertActionGroupId?: pulumi.Output<string>;
  /** When the expiry alerts were first deployed (RFC 3339): secret versions written earlier raise no Key Vault event. */
  alertsSince?: pulumi.Output<string>;
}

/**
 * Declares every resource of the stack for a validated configuration and returns the stack outputs;
 * logs a warning for each valid but risky setting.
 *
 * With a `parent` (the `PartnerCenterSam` component), the four components are declared under it,
 * each aliased to its former place directly under the stack, so an existing stack sees no replacement.
 */
export function definePartnerCenterSam(config: StackConfig, parent?: pulumi.Resource): StackOutputs {
  for (const warning of configWarnings(config)) void pulumi.log.warn(warning, parent);
  const placed: pulumi.ComponentResourceOptions | undefined = parent
    ? { parent, aliases: [{ parent: pulumi.rootStackResource }] }
    : undefined;
  const azure = authorization.getClientConfigOutput({ parent });
  const entra = azuread.getClientConfigOutput({ parent });
  const tags = stackTags(config.project, config.stack);
  const secretNames: SecretNames = secretNamesFor(config.appCredential);

  // With administrators configured, nothing below depends on who runs `pulumi up`.
  const administrators: pulumi.Input<pulumi.Input<string>[]> = config.administrators.length === 0 ? [entra.objectId] : appOwners(config.project, config.administrators, parent);

  const vault = new KeyVault(
    "key-vault",
    {
      location: config.location,
      resourceGroupName: config.resourceGroupName,
      useExistingResourceGroup: config.useExistingResourceGroup,
      ...(config.keyVaultName === undefined ? {} : { vaultName: config.keyVaultName }),
      namePrefix: keyVaultNamePrefix(config.project, config.stack),
      tenantId: azure.tenantId,
      subscriptionId: azure.subscriptionId,
      administrators: config.administrators,
      deployerObjectId: azure.objectId,
      secretWriters: config.secretWriters,
      secretReaders: config.secretReaders,
      allowedIpRanges: config.allowedIpRanges,
      softDeleteRetentionDays: config.softDeleteRetentionDays,
      purgeProtection: config.purgeProtection,
      protect: config.protectVault,
      tags,
    },
    placed,
  );

  // The rotation workflow's identity owns the apps too (next to the administrators, which the
  // configuration then requires), so its runs change no owner and it can update them.
  const deployer = config.githubDeployer
    ? new GitHubDeployer(
        "github-deployer",
        {
          repository: config.githubDeployer.repository,
          environment: config.githubDeployer.environment,
          displayName: `${config.appDisplayName} - GitHub pulumi up`,
          owners: administrators,
          resourceGroupId: pulumi.interpolate`/subscriptions/${azure.subscriptionId}/resourceGroups/${vault.resourceGroupName}`,
          vaultId: vault.vaultId,
          subscriptionId: azure.subscriptionId,
          grantAdminConsent: config.grantAdminConsent,
        },
        { parent },
      )
    : undefined;
  const owners: pulumi.Input<pulumi.Input<string>[]> = deployer
    ? pulumi.all([pulumi.output(administrators), deployer.servicePrincipalObjectId]).apply(([ids, id]) => [...ids, id])
    : administrators;

  const app = new PartnerCenterApp(
    "partner-center-app",
    {
      displayName: config.appDisplayName,
      redirectUri: config.redirectUri,
      owners,
      graphScopes: config.graphScopes,
      multiTenant: config.multiTenant,
      customerGraphScopes: config.customerGraphScopes,
      grantAdminConsent: config.grantAdminConsent,
      appCredential: config.appCredential,
      clientSecretRotationDays: config.clientSecretRotationDays,
      clientSecretGraceDays: config.clientSecretGraceDays,
    },
    placed,
  );

  new VaultSecrets(
    "vault-secrets",
    {
      resourceGroupName: vault.resourceGroupName,
      vaultName: vault.vaultName,
      secretNames,
      clientId: app.clientId,
      tenantId: entra.tenantId,
      ...(app.clientSecret && app.clientSecretExpiresAt ? { clientSecret: { value: app.clientSecret, expiresAt: app.clientSecretExpiresAt } } : {}),
      ...(app.clientCertificate
        ? {
            clientCertificate: {
              pem: app.clientCertificate.pem,
              expiresAt: app.clientCertificate.expiresAt,
              thumbprintSha256: app.clientCertificate.thumbprintSha256,
              registration: app.clientCertificate.registration,
            },
          }
        : {}),
      tags,
      roleAssignments: vault.roleAssignments,
    },
    placed,
  );

  // The dead-man's switch, only when someone is to hear it. Protected like the vault, so a config edit cannot silently remove the watch.
  const alerts =
    config.alertEmails.length || config.alertWebhooks.length
      ? new VaultAlerts(
          "vault-alerts",
          {
            resourceGroupName: vault.resourceGroupName,
            location: config.location,
            vaultId: vault.vaultId,
            watchedSecrets: watchedSecrets(secretNames),
            emails: config.alertEmails,
            webhooks: pulumi.secret(config.alertWebhooks),
            shortName: `pcsam-${config.stack}`.slice(0, 12),
            tags,
          },
          { parent, protect: config.protectVault },
        )
      : undefined;

  const refresher = config.githubRefresher
    ? new GitHubRefresher(
        "github-refresher",
        {
          repository: config.githubRefresher.repository,
          environment: config.githubRefresher.environment,
          displayName: `${config.appDisplayName} - GitHub token refresher`,
          owners,
          vaultId: vault.vaultId,
          subscriptionId: azure.subscriptionId,
        },
        placed,
      )
    : undefined;

  return {
    tenantId: entra.tenantId,
    clientId: app.clientId,
    applicationObjectId: app.applicationObjectId,
    servicePrincipalObjectId: app.servicePrincipalObjectId,
    redirectUri: config.redirectUri,
    keyVaultName: vault.vaultName,
    keyVaultUri: vault.vaultUri,
    secretNames,
    scopes: [partnerCenterScope(config.partnerCenterEndpoint)],
    authorityHost: config.authorityHost,
    partnerCenterEndpoint: config.partnerCenterEndpoint,
    graphEndpoint: config.graphEndpoint,
    ...(app.clientSecretExpiresAt ? { clientSecretExpiresAt: app.clientSecretExpiresAt } : {}),
    ...(app.clientCertificate
      ? { clientCertificateExpiresAt: app.clientCertificate.expiresAt, clientCertificateThumbprint: app.clientCertificate.thumbprintSha256 }
      : {}),
    adminConsentUrl: pulumi
      .all([entra.tenantId, app.clientId])
      .apply(([tenantId, clientId]) => adminConsentUrl(config.authorityHost, tenantId, clientId)),
    multiTenant: config.multiTenant,
    customerGraphScopes: config.customerGraphScopes,
    customerInclude: config.customerInclude,
    customerExclude: config.customerExclude,
    gdapRoles: config.gdapRoles,
    ...(refresher ? { refresherClientId: refresher.clientId } : {}),
    ...(deployer ? { deployerClientId: deployer.clientId } : {}),
    ...(alerts ? { alertActionGroupId: alerts.actionGroupId, alertsSince: alerts.since } : {}),
  };
}

/**
 * The secrets whose expiry means trouble: every secret of the stack but the
 * client id and tenant id, which never expire — the refresh token and the
 * app credential the stack maintains (certificate or client secret).
 */
export function watchedSecrets(names: SecretNames): string[] {
  return Object.entries(names)
    .filter(([role, name]) => role !== "clientId" && role !== "tenantId" && typeof name === "string")
    .map(([, name]) => name as string);
}

/**
 * The vault secret names for a credential kind: the certificate's or the client
 * secret's, never both, so the commands use exactly what the stack maintains.
 */
export function secretNamesFor(appCredential: StackConfig["appCredential"]): SecretNames {
  const { clientSecret, clientCertificate, ...common } = DEFAULT_SECRET_NAMES;
  return appCredential === "certificate" ? { ...common, clientCertificate } : { ...common, clientSecret };
}

/**
 * The configured administrators as app owners. Entra ID lets users and service
 * principals own an app, not groups: a group fails the update here, naming its
 * position in the list, before Entra ID answers with a less helpful error.
 */
function appOwners(project: string, administrators: string[], parent?: pulumi.Resource): pulumi.Output<string[]> {
  const types = administrators.map((objectId) => azuread.getDirectoryObjectOutput({ objectId }, { parent }).type);
  return pulumi.all(types).apply((resolved) => {
    const groups = resolved.flatMap((type, index) => (type === "Group" ? [index] : []));
    if (groups.length > 0) {
      throw applyError(
        `${project}:administrators ${groups.map((i) => `item ${i}`).join(", ")} ${groups.length === 1 ? "is a group" : "are groups"}: ` +
          "Entra ID lets only users and service principals own an app registration. List the people or identities instead.",
      );
    }
    return administrators;
  });
}
