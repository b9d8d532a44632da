import * as authorization from "@pulumi/azure-native/authorization";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { KEY_VAULT_SECRETS_OFFICER_ROLE_ID, KEY_VAULT_SECRETS_USER_ROLE_ID } from "./constants";

/** The data-plane roles the stack hands out on the vault. */
export const VAULT_ROLES = {
  /** "Key Vault Secrets Officer": read and write secrets. */
  secretsOfficer: KEY_VAULT_SECRETS_OFFICER_ROLE_ID,
  /** "Key Vault Secrets User": read secrets. */
  secretsUser: KEY_VAULT_SECRETS_USER_ROLE_ID,
} as const;

/** Options of {@link assignVaultRole}. */
export interface VaultRoleAssignmentArgs {
  vaultId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  role: keyof typeof VAULT_ROLES;
  principalId: pulumi.Input<string>;
  /**
   * "User", "Group" or "ServicePrincipal". Azure rejects a type that does not match the principal;
   * when omitted it is looked up in Entra ID at deploy time. Set it for principals the stack
   * creates, so Azure does not wait for directory replication.
   */
  principalType?: pulumi.Input<string>;
}

/** Builds the subscription-scoped id of a built-in role definition. */
export function roleDefinitionId(subscriptionId: pulumi.Input<string>, roleId: string): pulumi.Output<string> {
  return pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/** Grants one principal one data-plane role, scoped to the vault, with the principal's actual type. */
export function assignVaultRole(
  name: string,
  args: VaultRoleAssignmentArgs,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    name,
    {
      scope: args.vaultId,
      roleDefinitionId: roleDefinitionId(args.subscriptionId, VAULT_ROLES[args.role]),
      principalId: args.principalId,
      principalType:
        args.principalType ?? azuread.getDirectoryObjectOutput({ objectId: args.principalId }, { parent: opts.parent }).type,
    },
    opts,
  );
}
