import * as authorization from "@pulumi/azure-native/authorization";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import {
  AZURE_AD_TOKEN_EXCHANGE_AUDIENCE,
  CONTRIBUTOR_ROLE_ID,
  GITHUB_OIDC_ISSUER,
  GRAPH_APP_ROLES,
  MICROSOFT_GRAPH_APP_ID,
  RBAC_ADMINISTRATOR_ROLE_ID,
} from "./constants";
import { githubEnvironmentSubject } from "./github-refresher";
import { VAULT_ROLES, assignVaultRole, roleDefinitionId } from "./vault-role";

/** Arguments of {@link GitHubDeployer}. */
export interface GitHubDeployerArgs {
  /** `owner/name` of the repository whose workflow runs `pulumi up`. */
  repository: string;
  /** The GitHub deployment environment of that workflow job. */
  environment: string;
  displayName: string;
  /** Object ids of the app's and its service principal's owners. */
  owners: pulumi.Input<pulumi.Input<string>[]>;
  /** The resource group holding the vault: the scope of Contributor. */
  resourceGroupId: pulumi.Input<string>;
  /** The vault: the scope of the role-assignment administration. */
  vaultId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** The stack manages tenant-wide delegated grants, so the identity must be able to. */
  grantAdminConsent: boolean;
}

/**
 * The ABAC condition that lets "Role Based Access Control Administrator" create
 * and delete assignments of the two Key Vault data-plane roles the stack hands
 * out, and of no other role (Microsoft's "constrain roles" example): the
 * identity cannot give itself or anyone else more.
 */
export function vaultRolesOnlyCondition(): string {
  const roles = [VAULT_ROLES.secretsOfficer, VAULT_ROLES.secretsUser].join(", ");
  const only = (action: "write" | "delete", attributeSource: "Request" | "Resource") =>
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR ` +
    `(@${attributeSource}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${roles}}))`;
  return `${only("write", "Request")} AND ${only("delete", "Resource")}`;
}

/** The Microsoft Graph application permissions a service principal running `pulumi up` on this stack needs. */
export function deployerGraphAppRoles(grantAdminConsent: boolean): { name: string; id: string }[] {
  return [
    GRAPH_APP_ROLES.applicationReadWriteAll,
    GRAPH_APP_ROLES.directoryReadAll,
    ...(grantAdminConsent ? [GRAPH_APP_ROLES.delegatedPermissionGrantReadWriteAll] : []),
  ];
}

/**
 * The identity of the scheduled client-secret rotation workflow, which runs
 * `pulumi up`: an app registration GitHub Actions signs in to with OIDC (a
 * federated credential for one environment, no stored secret), with what an
 * update of this stack needs in Azure and no more:
 * - Contributor on the vault's resource group (the vault and its secrets are
 *   written through ARM; no Key Vault data-plane role is needed);
 * - Role Based Access Control Administrator on the vault, constrained by a
 *   condition to the two Key Vault roles the stack assigns;
 * - Key Vault Secrets User on the vault, for the workflow's `npm run status`
 *   step, which reads the secrets (`pulumi up` itself needs no data-plane role).
 *
 * The Microsoft Graph application permissions it needs are only *requested*
 * (the app's required resource access): granting them is an admin consent,
 * which needs Privileged Role Administrator or Global Administrator. The stack
 * leaves that to an admin, so no `pulumi up` (the workflow's own included) can
 * widen the identity's rights in Entra ID.
 */
export class GitHubDeployer extends pulumi.ComponentResource {
  readonly clientId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;

  constructor(name: string, args: GitHubDeployerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:GitHubDeployer", name, {}, opts);
    const child = { parent: this };

    const app = new azuread.Application(
      "app",
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        owners: args.owners,
        requiredResourceAccesses: [
          {
            resourceAppId: MICROSOFT_GRAPH_APP_ID,
            resourceAccesses: deployerGraphAppRoles(args.grantAdminConsent).map(({ id }) => ({ id, type: "Role" })),
          },
        ],
      },
      child,
    );
    new azuread.ApplicationFederatedIdentityCredential(
      "github-environment",
      {
        applicationId: app.id,
        displayName: `github-${args.repository}-${args.environment}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120),
        description: `GitHub Actions jobs of ${args.repository} in environment ${args.environment} (pulumi up)`,
        issuer: GITHUB_OIDC_ISSUER,
        subject: githubEnvironmentSubject(args.repository, args.environment),
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
      },
      child,
    );
    const servicePrincipal = new azuread.ServicePrincipal("app", { clientId: app.clientId, owners: args.owners }, child);

    new authorization.RoleAssignment(
      "contributor",
      {
        scope: args.resourceGroupId,
        roleDefinitionId: roleDefinitionId(args.subscriptionId, CONTRIBUTOR_ROLE_ID),
        principalId: servicePrincipal.objectId,
        principalType: "ServicePrincipal",
      },
      child,
    );
    new authorization.RoleAssignment(
      "vault-role-administrator",
      {
        scope: args.vaultId,
        roleDefinitionId: roleDefinitionId(args.subscriptionId, RBAC_ADMINISTRATOR_ROLE_ID),
        principalId: servicePrincipal.objectId,
        principalType: "ServicePrincipal",
        condition: vaultRolesOnlyCondition(),
        conditionVersion: "2.0",
        description: "Assign and remove only Key Vault Secrets Officer and Key Vault Secrets User",
      },
      child,
    );
    assignVaultRole(
      "secrets-user",
      {
        vaultId: args.vaultId,
        subscriptionId: args.subscriptionId,
        role: "secretsUser",
        principalId: servicePrincipal.objectId,
        principalType: "ServicePrincipal",
      },
      child,
    );

    this.clientId = app.clientId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    this.registerOutputs({ clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId });
  }
}
