import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { SecretNames } from "../bootstrap/src/core/contract";
import { unixSeconds } from "./secret-rotation";

/** Content types of the secrets the stack writes (the bootstrap's refresh token uses `application/x-refresh-token`). */
export const SECRET_CONTENT_TYPES = {
  clientId: "application/x-client-id",
  tenantId: "application/x-tenant-id",
  clientSecret: "application/x-client-secret",
} as const;

/** Arguments of {@link VaultSecrets}. */
export interface VaultSecretsArgs {
  resourceGroupName: pulumi.Input<string>;
  vaultName: pulumi.Input<string>;
  /** Names of the secrets; the refresh-token name is deliberately not used here. */
  secretNames: Pick<SecretNames, "clientId" | "tenantId" | "clientSecret">;
  clientId: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  /** RFC 3339 end date of the client secret; becomes the vault secret's `expires` attribute. */
  clientSecretExpiresAt: pulumi.Input<string>;
  tags: Record<string, string>;
  /**
   * The vault's role assignments: the secrets are written after them and, on
   * `pulumi destroy`, let go of before them.
   */
  roleAssignments: pulumi.Resource[];
}

/**
 * The app credentials the stack writes into the vault: client id, tenant id
 * and client secret. The refresh-token secret is never declared here — the
 * bootstrap owns it, so no update or rotation overwrites or deletes it.
 *
 * The secrets are written through Azure Resource Manager, but azure-native
 * deletes a secret through the Key Vault data plane, which needs a data-plane
 * role and an address the vault firewall lets through. So the stack never
 * deletes them (`retainOnDelete`): deleting the vault removes them, and
 * `pulumi destroy` works from anywhere `pulumi up` does.
 */
export class VaultSecrets extends pulumi.ComponentResource {
  constructor(name: string, args: VaultSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:VaultSecrets", name, {}, opts);
    const secret = (
      logicalName: keyof VaultSecretsArgs["secretNames"],
      value: pulumi.Input<string>,
      expiresAt?: pulumi.Input<string>,
    ) =>
      new keyvault.Secret(
        logicalName,
        {
          resourceGroupName: args.resourceGroupName,
          vaultName: args.vaultName,
          secretName: args.secretNames[logicalName],
          tags: args.tags,
          properties: {
            value: pulumi.secret(value),
            contentType: SECRET_CONTENT_TYPES[logicalName],
            attributes: {
              enabled: true,
              ...(expiresAt === undefined ? {} : { expires: pulumi.output(expiresAt).apply(unixSeconds) }),
            },
          },
        },
        { parent: this, retainOnDelete: true, dependsOn: args.roleAssignments },
      );

    secret("clientId", args.clientId);
    secret("tenantId", args.tenantId);
    secret("clientSecret", args.clientSecret, args.clientSecretExpiresAt);
    this.registerOutputs({});
  }
}
