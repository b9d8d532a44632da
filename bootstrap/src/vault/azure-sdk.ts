/**
 * The Azure SDK packages, loaded when first used instead of when a module that
 * may use them is loaded: `@azure/identity` (the credential chain, with its own
 * MSAL) and `@azure/keyvault-secrets` are a few hundred files, and a command that
 * serves its token from the cache, prints --help or clears the cache needs neither.
 */
import type * as Identity from "@azure/identity";
import type * as KeyVaultSecrets from "@azure/keyvault-secrets";

/** `@azure/keyvault-secrets`, loaded on first call. */
export function keyVaultSecrets(): typeof KeyVaultSecrets {
  // A plain require, so the CLI's bundler sees it (and keeps it lazy); tsc's CommonJS output keeps it as it is.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@azure/keyvault-secrets") as typeof KeyVaultSecrets;
}

/** `@azure/identity`, loaded on first call. */
export function azureIdentity(): typeof Identity {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@azure/identity") as typeof Identity;
}
