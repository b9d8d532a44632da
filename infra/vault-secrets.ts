import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import { CERTIFICATE_THUMBPRINT_TAG, CLIENT_CERTIFICATE_CONTENT_TYPE, SecretNames } from "../bootstrap/src/core/contract";
import { unixSeconds } from "./secret-rotation";

/** Content types of the secrets the stack writes (the bootstrap's refresh token uses `application/x-refresh-token`). */
export const SECRET_CONTENT_TYPES = {
  clientId: "application/x-client-id",
  tenantId: "application/x-tenant-id",
  clientSecret: "application/x-client-secret",
  /** The private key (PKCS#8) followed by the certificate, both PEM. */
  clientCertificate: CLIENT_CERTIFICATE_CONTENT_TYPE,
} as const;

/** Arguments of {@link VaultSecrets}. */
export interface VaultSecretsArgs {
  resourceGroupName: pulumi.Input<string>;
  vaultName: pulumi.Input<string>;
  /** Names of the secrets; the refresh-token name is deliberately not used here. */
  secretNames: Pick<SecretNames, "clientId" | "tenantId" | "clientSecret" | "clientCertificate">;
  clientId: pulumi.Input<string>;
  tenantId: pulumi.Input<string>;
  /** The client secret and its RFC 3339 end date (the vault secret's `expires`); only with `appCredential: secret`. */
  clientSecret?: { value: pulumi.Input<string>; expiresAt: pulumi.Input<string> };
  /**
   * The certificate: key and certificate PEM, end date, thumbprint, and the key credential
   * that registers it, which the vault secret is written after. Only with `appCredential: certificate`.
   */
  clientCertificate?: { pem: pulumi.Input<string>; expiresAt: pulumi.Input<string>; thumbprintSha256: pulumi.Input<string>; registration: pulumi.Resource };
  tags: Record<string, string>;
  /**
   * The vault's role assignments: the secrets are written after them and, on
   * `pulumi destroy`, let go of before them.
   */
  roleAssignments: pulumi.Resource[];
}

/**
 * The app credentials the stack writes into the vault: client id, tenant id
 * and the client secret or the certificate (key and certificate PEM). The refresh-token secret is never declared here — the
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
      extra: { tags?: pulumi.Input<Record<string, pulumi.Input<string>>>; after?: pulumi.Resource } = {},
    ) => {
      const secretName = args.secretNames[logicalName];
      if (secretName === undefined) throw new Error(`VaultSecrets: secretNames.${logicalName} is required for this credential`);
      return new keyvault.Secret(
        logicalName,
        {
          resourceGroupName: args.resourceGroupName,
          vaultName: args.vaultName,
          secretName,
          tags: extra.tags ?? args.tags,
          properties: {
            value: pulumi.secret(value),
            contentType: SECRET_CONTENT_TYPES[logicalName],
            attributes: {
              enabled: true,
              ...(expiresAt === undefined ? {} : { expires: pulumi.output(expiresAt).apply(unixSeconds) }),
            },
          },
        },
        { parent: this, retainOnDelete: true, dependsOn: [...args.roleAssignments, ...(extra.after ? [extra.after] : [])] },
      );
    };

    secret("clientId", args.clientId);
    secret("tenantId", args.tenantId);
    if (args.clientSecret) secret("clientSecret", args.clientSecret.value, args.clientSecret.expiresAt);
    const certificate = args.clientCertificate;
    if (certificate) {
      // Written once Entra ID has the key credential, so whoever reads it can sign in with it at once.
      secret("clientCertificate", certificate.pem, certificate.expiresAt, {
        tags: pulumi.output(certificate.thumbprintSha256).apply((thumbprint) => ({ ...args.tags, [CERTIFICATE_THUMBPRINT_TAG]: thumbprint })),
        after: certificate.registration,
      });
    }
    this.registerOutputs({});
  }
}
