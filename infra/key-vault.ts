import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KEY_VAULT_SUFFIX_LENGTH } from "./naming";
import { applyError } from "./run-error";
import { DeployedVault, resourceGroupWarnings, vaultWarnings } from "./update-checks";
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
  /**
   * Object ids that get "Key Vault Secrets Officer" as the stack's administrators.
   * When empty, the deploying identity (`deployerObjectId`) gets it instead.
   */
  administrators: string[];
  /** Object id of the identity running `pulumi up`; only used when `administrators` is empty. */
  deployerObjectId: pulumi.Input<string>;
  /** Object ids that get "Key Vault Secrets Officer". */
  secretWriters: string[];
  /** Object ids that get "Key Vault Secrets User". */
  secretReaders: string[];
  /** IPv4 addresses/CIDR ranges; when non-empty the firewall denies everything else (Azure services bypass). */
  allowedIpRanges: string[];
  /** Only applied when the vault is created: Azure cannot change it afterwards. */
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  /**
   * Protect the vault and the resource group the component creates: a change that would
   * replace or delete them fails the update instead of deleting the refresh token with them.
   */
  protect: boolean;
  tags: Record<string, string>;
}

/** Name of the deployer's role assignment, which the first administrator's takes over (alias). */
const DEPLOYER_ASSIGNMENT = "deployer-secrets-officer";

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
  /**
   * Every role assignment on the vault. What writes into the vault depends on them, so
   * `pulumi destroy` removes them last.
   */
  readonly roleAssignments: authorization.RoleAssignment[];

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:KeyVault", name, {}, opts);
    const child = { parent: this };
    // azure-native deletes an explicitly named resource before re-creating it, and a deleted
    // vault takes the unmanaged refresh token with it: replacing either must fail the update.
    const guarded = { parent: this, protect: args.protect };

    this.resourceGroupName = args.useExistingResourceGroup
      ? pulumi.output(args.resourceGroupName)
      : new resources.ResourceGroup(
          "resource-group",
          { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
          guarded,
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
          // Create-only: Azure keeps the first value (ignoreChanges below).
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
      { ...guarded, ignoreChanges: ["properties.softDeleteRetentionInDays"] },
    );

    this.vaultName = vault.name;
    this.vaultId = vault.id;
    this.vaultUri = pulumi.all([vault.name, vault.properties]).apply(([vaultName, properties]) => {
      if (!properties.vaultUri) throw applyError(`Key Vault ${vaultName} reported no vaultUri.`);
      return properties.vaultUri;
    });

    const common = { vaultId: vault.id, subscriptionId: args.subscriptionId };
    const officers =
      args.administrators.length === 0
        ? [assignVaultRole(DEPLOYER_ASSIGNMENT, { ...common, role: "secretsOfficer", principalId: args.deployerObjectId }, child)]
        : args.administrators.map((principalId, index) =>
            assignVaultRole(
              `administrator-${principalId}-secrets-officer`,
              { ...common, role: "secretsOfficer", principalId },
              // A stack that used to give the deployer the role: the deployer, listed first, keeps
              // its assignment (Azure refuses a second identical one).
              index === 0 ? { ...child, aliases: [{ name: DEPLOYER_ASSIGNMENT }] } : child,
            ),
          );
    const writers = args.secretWriters.map((principalId) =>
      assignVaultRole(`writer-${principalId}-secrets-officer`, { ...common, role: "secretsOfficer", principalId }, child),
    );
    const readers = args.secretReaders.map((principalId) =>
      assignVaultRole(`reader-${principalId}-secrets-user`, { ...common, role: "secretsUser", principalId }, child),
    );
    this.roleAssignments = [...officers, ...writers, ...readers];

    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      vaultName: this.vaultName,
      vaultId: this.vaultId,
      vaultUri: this.vaultUri,
      // Registered so the program waits for the look-ups before it ends.
      updateWarnings: this.warnAboutUpdates(args, vaultName),
    });
  }

  /**
   * Compares the configuration with the resource group and vault that already exist
   * (looked up in Azure; absent on the first `pulumi up`) and logs a warning for each
   * change Azure cannot apply in place, before the engine attempts it.
   */
  private warnAboutUpdates(args: KeyVaultArgs, vaultName: pulumi.Input<string>): pulumi.Output<number> {
    const lookup = { parent: this };
    const groupWarnings = args.useExistingResourceGroup
      ? pulumi.output<string[]>([])
      : pulumi
          .output(
            resources.getResourceGroup({ resourceGroupName: args.resourceGroupName }, lookup).then(
              (group) => group.location,
              () => undefined,
            ),
          )
          .apply((deployed) => resourceGroupWarnings(args.resourceGroupName, args.location, deployed, args.protect));
    const vaultWarningList = pulumi.output(vaultName).apply((name) =>
      keyvault
        .getVault({ resourceGroupName: args.resourceGroupName, vaultName: name }, lookup)
        .then(
          (found): DeployedVault => ({
            location: found.location ?? args.location,
            ...(found.properties.softDeleteRetentionInDays === undefined
              ? {}
              : { softDeleteRetentionInDays: found.properties.softDeleteRetentionInDays }),
            ...(found.properties.enablePurgeProtection === undefined
              ? {}
              : { enablePurgeProtection: found.properties.enablePurgeProtection }),
          }),
          () => undefined,
        )
        .then((deployed) =>
          vaultWarnings(
            {
              vaultName: name,
              location: args.location,
              softDeleteRetentionDays: args.softDeleteRetentionDays,
              purgeProtection: args.purgeProtection,
              protectVault: args.protect,
            },
            deployed,
          ),
        ),
    );
    return pulumi.all([groupWarnings, vaultWarningList]).apply((lists) => {
      const warnings = lists.flat();
      for (const warning of warnings) void pulumi.log.warn(warning, this);
      return warnings.length;
    });
  }
}
