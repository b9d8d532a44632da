import * as pulumi from "@pulumi/pulumi";
import { SecretNames } from "../bootstrap/src/core/contract";
import { SettingsOrigin } from "./config-error";
import { LOCATION_KEY, StackConfig, parseStackConfig } from "./config";
import { StackOutputs, definePartnerCenterSam } from "./program";

export type { SecretNames } from "../bootstrap/src/core/contract";
export { ConfigValidationError } from "./config-error";
export type { ConfigProblem } from "./config-error";
export type { StackOutputs } from "./program";

/** The component's type token. */
export const PARTNER_CENTER_SAM_TYPE = "partner-center-sam:index:PartnerCenterSam";

/**
 * Arguments of {@link PartnerCenterSam}: the stack configuration keys of this
 * project (see the README's Configuration table), typed; every one but
 * `location` is optional and has the same default. Validated by the same rules;
 * derived names (resource group, vault prefix) and tags use the program's project name.
 */
export interface PartnerCenterSamArgs {
  /** Azure region of the resource group and the vault (the stack's `azure-native:location`). */
  location: string;
  /** An existing resource group; default: create `rg-<project>-<stack>`. */
  resourceGroupName?: string;
  /** Default: derived from project and stack plus a stable random suffix. */
  keyVaultName?: string;
  appDisplayName?: string;
  redirectUri?: string;
  /** `certificate` (default): the app authenticates with a rotating certificate; `secret`: with a rotating client secret. */
  appCredential?: "certificate" | "secret";
  /** Days between rotations of the app credential (client secret or certificate). */
  clientSecretRotationDays?: number;
  clientSecretGraceDays?: number;
  grantAdminConsent?: boolean;
  graphScopes?: string[];
  /** Sign-in audience `AzureADMultipleOrgs`, as customer tenants require; default false. */
  multiTenant?: boolean;
  /** Delegated Graph scope names the app gets in customer tenants; default none. */
  customerGraphScopes?: string[];
  /** Entra object ids that own the apps and get Key Vault Secrets Officer; default: whoever runs `pulumi up`. */
  administrators?: string[];
  secretReaders?: string[];
  secretWriters?: string[];
  allowedIpRanges?: string[];
  authorityHost?: string;
  partnerCenterEndpoint?: string;
  /** Microsoft Graph's endpoint; default https://graph.microsoft.com. */
  graphEndpoint?: string;
  softDeleteRetentionDays?: number;
  purgeProtection?: boolean;
  protectVault?: boolean;
  /** E-mail receivers of the Key Vault expiry alerts; with `alertWebhooks` empty too, no alerts are deployed. */
  alertEmails?: string[];
  /** Webhook receivers of the Key Vault expiry alerts (credentials: kept as secrets in the state). */
  alertWebhooks?: string[];
  githubRepository?: string;
  githubEnvironment?: string;
  /** With `githubRepository`: create the identity of the client-secret rotation workflow, which runs `pulumi up`. */
  githubDeployEnvironment?: string;
}

const COMPONENT_ARGUMENTS: SettingsOrigin = {
  subject: "PartnerCenterSam configuration",
  fix: "Fix them in the program that creates the PartnerCenterSam component (argument names as in the keys above) and run `pulumi up` again.",
};

/**
 * Everything `pulumi up` of this project creates — Key Vault, Partner Center
 * app with its rotating certificate (or client secret), the vault secrets and the optional
 * GitHub refresher identity — as one component for existing Pulumi programs:
 *
 * ```ts
 * import { PartnerCenterSam } from "partner-center-sam/infra";
 * const sam = new PartnerCenterSam("partner-center-sam", { location: "westeurope" });
 * export const keyVaultUri = sam.keyVaultUri;
 * ```
 *
 * Its properties are this project's stack outputs, which `npm run bootstrap`
 * and the refresh tooling read. One instance per stack: the resources inside
 * keep the names this project's stacks already have.
 */
export class PartnerCenterSam extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly redirectUri: string;
  readonly keyVaultName: pulumi.Output<string>;
  readonly keyVaultUri: pulumi.Output<string>;
  readonly secretNames: SecretNames;
  readonly scopes: string[];
  readonly authorityHost: string;
  readonly partnerCenterEndpoint: string;
  readonly graphEndpoint: string;
  /** Only with `appCredential: secret`. */
  readonly clientSecretExpiresAt?: pulumi.Output<string>;
  /** Only with `appCredential: certificate` (the default). */
  readonly clientCertificateExpiresAt?: pulumi.Output<string>;
  /** SHA-256 thumbprint (hex) of the current certificate; only with `appCredential: certificate`. */
  readonly clientCertificateThumbprint?: pulumi.Output<string>;
  readonly adminConsentUrl: pulumi.Output<string>;
  readonly multiTenant: boolean;
  readonly customerGraphScopes: string[];
  /** Only when `githubRepository` and `githubEnvironment` are set. */
  readonly refresherClientId?: pulumi.Output<string>;
  /** Only when `githubRepository` and `githubDeployEnvironment` are set. */
  readonly deployerClientId?: pulumi.Output<string>;
  /** Only when `alertEmails` or `alertWebhooks` are set: the Azure Monitor action group of the expiry alerts. */
  readonly alertActionGroupId?: pulumi.Output<string>;
  /** With `alertActionGroupId`: when the alerts were first deployed. */
  readonly alertsSince?: pulumi.Output<string>;
  /** All of the above, as this project exports them from its stack. */
  readonly outputs: StackOutputs;

  constructor(name: string, args: PartnerCenterSamArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PARTNER_CENTER_SAM_TYPE, name, {}, opts);
    const config = resolvePartnerCenterSamArgs(args, pulumi.getProject(), pulumi.getStack());
    const outputs = definePartnerCenterSam(config, this);

    this.tenantId = outputs.tenantId;
    this.clientId = outputs.clientId;
    this.applicationObjectId = outputs.applicationObjectId;
    this.servicePrincipalObjectId = outputs.servicePrincipalObjectId;
    this.redirectUri = outputs.redirectUri;
    this.keyVaultName = outputs.keyVaultName;
    this.keyVaultUri = outputs.keyVaultUri;
    this.secretNames = outputs.secretNames;
    this.scopes = outputs.scopes;
    this.authorityHost = outputs.authorityHost;
    this.partnerCenterEndpoint = outputs.partnerCenterEndpoint;
    this.graphEndpoint = outputs.graphEndpoint;
    if (outputs.clientSecretExpiresAt) this.clientSecretExpiresAt = outputs.clientSecretExpiresAt;
    if (outputs.clientCertificateExpiresAt) this.clientCertificateExpiresAt = outputs.clientCertificateExpiresAt;
    if (outputs.clientCertificateThumbprint) this.clientCertificateThumbprint = outputs.clientCertificateThumbprint;
    this.adminConsentUrl = outputs.adminConsentUrl;
    this.multiTenant = outputs.multiTenant;
    this.customerGraphScopes = outputs.customerGraphScopes;
    if (outputs.refresherClientId) this.refresherClientId = outputs.refresherClientId;
    if (outputs.deployerClientId) this.deployerClientId = outputs.deployerClientId;
    if (outputs.alertActionGroupId) this.alertActionGroupId = outputs.alertActionGroupId;
    if (outputs.alertsSince) this.alertsSince = outputs.alertsSince;
    this.outputs = outputs;
    this.registerOutputs({ ...outputs });
  }
}

/**
 * Validates the component's arguments with the stack configuration's rules
 * (all problems at once, a `ConfigValidationError` naming argument and rule)
 * and applies the same defaults.
 */
export function resolvePartnerCenterSamArgs(
  args: PartnerCenterSamArgs,
  project: string,
  stack: string,
  origin: SettingsOrigin = COMPONENT_ARGUMENTS,
): StackConfig {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(args) as [string, unknown][]) {
    if (value === undefined) continue;
    const key = name === "location" ? LOCATION_KEY : `${project}:${name}`;
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return parseStackConfig(values, project, stack, origin);
}

/** The component arguments that reproduce a validated stack configuration. */
export function argsFromStackConfig(config: StackConfig): PartnerCenterSamArgs {
  return {
    location: config.location,
    ...(config.useExistingResourceGroup ? { resourceGroupName: config.resourceGroupName } : {}),
    ...(config.keyVaultName === undefined ? {} : { keyVaultName: config.keyVaultName }),
    appDisplayName: config.appDisplayName,
    redirectUri: config.redirectUri,
    appCredential: config.appCredential,
    clientSecretRotationDays: config.clientSecretRotationDays,
    clientSecretGraceDays: config.clientSecretGraceDays,
    grantAdminConsent: config.grantAdminConsent,
    graphScopes: config.graphScopes,
    multiTenant: config.multiTenant,
    customerGraphScopes: config.customerGraphScopes,
    administrators: config.administrators,
    secretReaders: config.secretReaders,
    secretWriters: config.secretWriters,
    allowedIpRanges: config.allowedIpRanges,
    authorityHost: config.authorityHost,
    partnerCenterEndpoint: config.partnerCenterEndpoint,
    graphEndpoint: config.graphEndpoint,
    softDeleteRetentionDays: config.softDeleteRetentionDays,
    purgeProtection: config.purgeProtection,
    protectVault: config.protectVault,
    ...(config.alertEmails.length ? { alertEmails: config.alertEmails } : {}),
    ...(config.alertWebhooks.length ? { alertWebhooks: config.alertWebhooks } : {}),
    ...(config.githubRefresher || config.githubDeployer
      ? { githubRepository: (config.githubRefresher ?? config.githubDeployer)?.repository }
      : {}),
    ...(config.githubRefresher ? { githubEnvironment: config.githubRefresher.environment } : {}),
    ...(config.githubDeployer ? { githubDeployEnvironment: config.githubDeployer.environment } : {}),
  };
}
