/**
 * Warnings about changes Azure cannot apply in place, worked out before the
 * engine acts: the program compares the configuration with what already exists
 * in Azure and says what the update is about to run into.
 */

/** What Azure reports about the stack's existing vault. */
export interface DeployedVault {
  location: string;
  softDeleteRetentionInDays?: number;
  enablePurgeProtection?: boolean;
}

/** What the stack wants the vault to be. */
export interface WantedVault {
  vaultName: string;
  location: string;
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  protectVault: boolean;
}

/** True when two Azure region names denote the same region (`West Europe` = `westeurope`). */
export function sameRegion(a: string, b: string): boolean {
  const normalise = (region: string) => region.toLowerCase().replace(/\s+/g, "");
  return normalise(a) === normalise(b);
}

function replacementConsequence(protectVault: boolean): string {
  return protectVault
    ? "the vault is protected, so the update will fail instead (see the README, \"Changing names or location\")"
    : "protectVault is false, so the update will delete the vault and the refresh token in it";
}

/** Warnings for the stack-created resource group, which exists in `deployedLocation` (undefined: not yet created). */
export function resourceGroupWarnings(
  resourceGroupName: string,
  wantedLocation: string,
  deployedLocation: string | undefined,
  protectVault: boolean,
): string[] {
  if (deployedLocation === undefined || sameRegion(deployedLocation, wantedLocation)) return [];
  return [
    `The resource group ${resourceGroupName} exists in ${deployedLocation}, not in the configured azure-native:location: ` +
      `moving it means replacing it and everything in it, the Key Vault included; ${replacementConsequence(protectVault)}.`,
  ];
}

/** Warnings for the stack's vault as Azure reports it (undefined: not yet created). */
export function vaultWarnings(wanted: WantedVault, deployed: DeployedVault | undefined): string[] {
  if (deployed === undefined) return [];
  const warnings: string[] = [];
  if (!sameRegion(deployed.location, wanted.location)) {
    warnings.push(
      `The Key Vault ${wanted.vaultName} exists in ${deployed.location}, not in the configured azure-native:location: ` +
        `a vault cannot move, it is replaced; ${replacementConsequence(wanted.protectVault)}.`,
    );
  }
  if (deployed.softDeleteRetentionInDays !== undefined && deployed.softDeleteRetentionInDays !== wanted.softDeleteRetentionDays) {
    warnings.push(
      `softDeleteRetentionDays cannot change once the Key Vault ${wanted.vaultName} exists: it keeps ` +
        `${deployed.softDeleteRetentionInDays} days, and this update does not send the configured value to Azure.`,
    );
  }
  if (deployed.enablePurgeProtection === true && !wanted.purgeProtection) {
    warnings.push(
      `Purge protection stays on for the Key Vault ${wanted.vaultName}: Azure never turns it off, whatever purgeProtection says.`,
    );
  }
  return warnings;
}
