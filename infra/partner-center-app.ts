import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { ClientCertificate } from "./client-certificate";
import {
  GRAPH_SIGN_IN_SCOPES,
  MICROSOFT_GRAPH_APP_ID,
  PARTNER_CENTER_APP_ID,
  PARTNER_CENTER_USER_IMPERSONATION,
} from "./constants";
import { DelegatedScope, resolveDelegatedScopes } from "./graph-scopes";
import { clientSecretEndDate } from "./secret-rotation";
import { tenantServicePrincipal } from "./tenant-service-principal";

/** Arguments of {@link PartnerCenterApp}. */
export interface PartnerCenterAppArgs {
  displayName: string;
  /** The web redirect URI the bootstrap's sign-in returns to. */
  redirectUri: string;
  /** Object ids of the app's and its service principal's owners. */
  owners: pulumi.Input<pulumi.Input<string>[]>;
  /** Extra delegated Microsoft Graph scope names, resolved to ids at deploy time. */
  graphScopes: string[];
  /** Sign in users of any Entra ID tenant (`AzureADMultipleOrgs`) instead of the partner's alone. */
  multiTenant?: boolean;
  /**
   * Delegated Microsoft Graph scope names the app gets in customer tenants: requested by the app
   * (so a customer tenant can be consented for them), not granted in the partner's tenant.
   */
  customerGraphScopes?: string[];
  /** Grant the delegated permissions for all users, so sign-in shows no consent prompt. */
  grantAdminConsent: boolean;
  /** `certificate`: a rotating self-signed certificate (key credential); `secret`: a rotating client secret (password credential). */
  appCredential: "certificate" | "secret";
  /** Days between rotations of the credential. */
  clientSecretRotationDays: number;
  /** Days each credential stays valid after its scheduled rotation. */
  clientSecretGraceDays: number;
}

/**
 * The single-tenant app registration for Partner Center "App + User"
 * authentication: delegated Partner Center and Graph permissions, its service
 * principal, optional admin consent, and a credential — a certificate or a
 * client secret — that rotates through ordinary stack updates.
 */
export class PartnerCenterApp extends pulumi.ComponentResource {
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  /** The current client secret (a Pulumi secret); only with `appCredential: secret`. */
  readonly clientSecret?: pulumi.Output<string>;
  /** RFC 3339 end date of the current client secret; only with `appCredential: secret`. */
  readonly clientSecretExpiresAt?: pulumi.Output<string>;
  /** The current certificate and its key; only with `appCredential: certificate`. */
  readonly clientCertificate?: ClientCertificate;

  constructor(name: string, args: PartnerCenterAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:PartnerCenterApp", name, {}, opts);
    const child = { parent: this };
    // Microsoft's service principals are shared by the whole tenant: read them, never adopt them.
    const partnerCenter = tenantServicePrincipal("partner-center", PARTNER_CENTER_APP_ID, this);
    const graph = tenantServicePrincipal("microsoft-graph", MICROSOFT_GRAPH_APP_ID, this);
    const graphScopes: pulumi.Output<DelegatedScope[]> = graph.apply(({ oauth2PermissionScopeIds: published }) => [
      ...GRAPH_SIGN_IN_SCOPES,
      ...resolveDelegatedScopes(published, args.graphScopes, "Microsoft Graph"),
    ]);
    // What the app requests from Graph: its own scopes, then the customer tenants' ones it lacks.
    const requestedGraphScopes: pulumi.Output<DelegatedScope[]> = pulumi
      .all([graphScopes, graph])
      .apply(([own, { oauth2PermissionScopeIds: published }]) => [
        ...own,
        ...resolveDelegatedScopes(published, args.customerGraphScopes ?? [], "Microsoft Graph", "customerGraphScopes").filter(
          (scope) => !own.some(({ id }) => id === scope.id),
        ),
      ]);

    const app = new azuread.Application(
      "app",
      {
        displayName: args.displayName,
        signInAudience: args.multiTenant ? "AzureADMultipleOrgs" : "AzureADMyOrg",
        owners: args.owners,
        web: { redirectUris: [args.redirectUri] },
        requiredResourceAccesses: [
          {
            resourceAppId: PARTNER_CENTER_APP_ID,
            resourceAccesses: [{ id: PARTNER_CENTER_USER_IMPERSONATION.id, type: "Scope" }],
          },
          {
            resourceAppId: MICROSOFT_GRAPH_APP_ID,
            resourceAccesses: requestedGraphScopes.apply((scopes) => scopes.map(({ id }) => ({ id, type: "Scope" }))),
          },
        ],
      },
      child,
    );
    const servicePrincipal = new azuread.ServicePrincipal("app", { clientId: app.clientId, owners: args.owners }, child);

    if (args.grantAdminConsent) {
      new azuread.ServicePrincipalDelegatedPermissionGrant(
        "partner-center-admin-consent",
        {
          servicePrincipalObjectId: servicePrincipal.objectId,
          resourceServicePrincipalObjectId: partnerCenter.objectId,
          claimValues: [PARTNER_CENTER_USER_IMPERSONATION.name],
        },
        child,
      );
      new azuread.ServicePrincipalDelegatedPermissionGrant(
        "microsoft-graph-admin-consent",
        {
          servicePrincipalObjectId: servicePrincipal.objectId,
          resourceServicePrincipalObjectId: graph.objectId,
          claimValues: graphScopes.apply((scopes) => scopes.map(({ name }) => name)),
        },
        child,
      );
    }

    // The timer's id changes when it expires (seen at refresh), which replaces the credential
    // (password, or key and certificate): the new one is created first, the vault secret
    // updated, then the old one deleted.
    // Changing either number replaces the timer (triggers), so the schedule restarts from now:
    // an update alone would keep the old base time and could produce an end date in the past.
    const rotation = new time.Rotating(
      "client-secret-rotation",
      {
        rotationDays: args.clientSecretRotationDays,
        triggers: { rotationDays: String(args.clientSecretRotationDays), graceDays: String(args.clientSecretGraceDays) },
      },
      child,
    );
    if (args.appCredential === "certificate") {
      this.clientCertificate = new ClientCertificate(
        "client-certificate",
        {
          applicationId: app.id,
          displayName: args.displayName,
          rotationId: rotation.id,
          validityDays: args.clientSecretRotationDays + args.clientSecretGraceDays,
          graceDays: args.clientSecretGraceDays,
        },
        child,
      );
    } else {
      const password = new azuread.ApplicationPassword(
        "client-secret",
        {
          applicationId: app.id,
          displayName: `Managed by Pulumi; rotates every ${args.clientSecretRotationDays} days`,
          endDate: rotation.rotationRfc3339.apply((next) => clientSecretEndDate(next, args.clientSecretGraceDays)),
          rotateWhenChanged: { rotation: rotation.id },
        },
        { parent: this, deleteBeforeReplace: false },
      );
      this.clientSecret = pulumi.secret(password.value);
      this.clientSecretExpiresAt = password.endDate;
    }

    this.clientId = app.clientId;
    this.applicationObjectId = app.objectId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;

    this.registerOutputs({
      clientId: this.clientId,
      applicationObjectId: this.applicationObjectId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      ...(this.clientSecretExpiresAt ? { clientSecretExpiresAt: this.clientSecretExpiresAt } : {}),
      ...(this.clientCertificate ? { clientCertificateExpiresAt: this.clientCertificate.expiresAt } : {}),
    });
  }
}
