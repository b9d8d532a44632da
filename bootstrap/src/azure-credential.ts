import type { TokenCredential } from "@azure/core-auth";
import { DefaultAzureCredential } from "@azure/identity";

/**
 * The credential used for Key Vault when none is injected: DefaultAzureCredential,
 * which honours AZURE_TOKEN_CREDENTIALS (e.g. `AzureCliCredential`, `ManagedIdentityCredential`)
 * and the usual AZURE_* environment variables.
 */
export function defaultCredential(): TokenCredential {
  return new DefaultAzureCredential();
}
