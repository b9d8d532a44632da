import * as keyvault from "@pulumi/azure-native/keyvault";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KEY_VAULT_SUFFIX_LENGTH } from "./naming";
import { applyError } from "./run-error";
import { assignVaultRole } from "./vault-role";

/** Arguments of {@link KeyVault}. */
export interface KeyVaultArgs {
  location: string;
  resourceGroupName: string;
  /** When true the group already exists and is only referenced; otherwise the component creates it. */
  useExistingResourceGroup: boolean;
  /** An explicit vault name; when undefined the name is `<namePrefix>-<stable random suffix>`. */
  vaultName?: string;
  namePrefix: string;
  /** Tenant of the deploying identity. */
  tenantId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  /** Object id of the deploying identity; it gets "Key Vault Secrets Officer". */
  deployerObjectId: pulumi.Input<string>;
  /** Object ids that get "Key Vault Secrets Officer". */
  secretWriters: string[];
  /** Object ids that get "Key Vault Secrets User". */
  secretReaders: string[];
  /** IPv4 addresses/CIDR ranges; when non-empty the firewall denies everything else (Azure services bypass). */
  allowedIpRanges: string[];
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  tags: Record<string, string>;
}

/**
 * The Key Vault that holds the app's credentials and the refresh token: RBAC
 * authorization (no access policies), soft delete, optional purge protection
 * and firewall, and the role assignments that let people and jobs use it.
 */
export class KeyVault extends pulumi.ComponentResource {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly vaultName: pulumi.Output<string>;
  readonly vaultId: pulumi.Output<string>;
  readonly vaultUri: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:KeyVault", name, {}, opts);
    const child = { parent: this };

    this.resourceGroupName = args.useExistingResourceGroup
      ? pulumi.output(args.resourceGroupName)
      : new resources.ResourceGroup(
          "resource-group",
          { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
          child,
        ).name;

    const vaultName =
      args.vaultName ??
      pulumi.interpolate`${args.namePrefix}-${
        new random.RandomString(
          "key-vault-name-suffix",
          { length: KEY_VAULT_SUFFIX_LENGTH, lower: true, numeric: true, upper: false, special: false },
          child,
        ).result
      }`;

    const vault = new keyvault.Vault(
      "vault",
      {
        vaultName,
        resourceGroupName: this.resourceGroupName,
        location: args.location,
        tags: args.tags,
        properties: {
          tenantId: args.tenantId,
          sku: { family: "A", name: "standard" },
          enableRbacAuthorization: true,
          accessPolicies: [],
          enableSoftDelete: true,
          softDeleteRetentionInDays: args.softDeleteRetentionDays,
          // Azure accepts only `true` here, and never turns it off again: leave it out when not wanted.
          ...(args.purgeProtection ? { enablePurgeProtection: true } : {}),
          networkAcls: {
            bypass: "AzureServices",
            defaultAction: args.allowedIpRanges.length > 0 ? "Deny" : "Allow",
            ipRules: args.allowedIpRanges.map((value) => ({ value })),
          },
        },
      },
      child,
    );

    this.vaultName = vault.name;
    this.vaultId = vault.id;
    this.vaultUri = pulumi.all([vault.name, vault.properties]).apply(([vaultName, properties]) => {
      if (!properties.vaultUri) throw applyError(`Key Vault ${vaultName} reported no vaultUri.`);
      return properties.vaultUri;
    });

    const common = { vaultId: vault.id, subscriptionId: args.subscriptionId };
    assignVaultRole("deployer-secrets-officer", { ...common, role: "secretsOfficer", principalId: args.deployerObjectId }, child);
    for (const principalId of args.secretWriters) {
      assignVaultRole(`writer-${principalId}-secrets-officer`, { ...common, role: "secretsOfficer", principalId }, child);
    }
    for (const principalId of args.secretReaders) {
      assignVaultRole(`reader-${principalId}-secrets-user`, { ...common, role: "secretsUser", principalId }, child);
    }

    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      vaultName: this.vaultName,
      vaultId: this.vaultId,
      vaultUri: this.vaultUri,
    });
  }
}
