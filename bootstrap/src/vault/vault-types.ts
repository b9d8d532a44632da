/** The shapes the vault store takes and returns. */
import type { TokenCredential } from "@azure/core-auth";
import type { SecretClientOptions } from "@azure/keyvault-secrets";
import type { ClientCertificate } from "../core/client-certificate";
import type { RefreshTokenTags, SecretNames } from "../core/contract";

export type { RefreshTokenTags };
import type { Deadline } from "../core/retry";

/** Options for `VaultStore`. */
export interface VaultStoreOptions {
  /** The vault URI, e.g. `https://kv-name.vault.azure.net/`. */
  keyVaultUri: string;
  /** The names of the app's secrets in the vault. */
  secretNames: SecretNames;
  /** Credential for the vault; defaults to DefaultAzureCredential. Each token request is bounded by `requestTimeoutMs`. */
  credential?: TokenCredential;
  /** How long to keep retrying a 403 that may be a role assignment still propagating (ms). Default 0: no retries. */
  accessWaitMs?: number;
  /** How long to keep retrying transient failures: 429, 5xx, resets, timeouts (ms). Default 30 s. See retry.ts. */
  transientBudgetMs?: number;
  /** Timeout of one request to the vault (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** The command's overall deadline; no call outlives it. Default: none. */
  deadline?: Deadline;
  /** Told before each retry wait, with its length, so a command can say why it waits (and count down). */
  onWait?: (message: string, delayMs: number) => void;
  /** Passed to the SecretClient (pipeline and API-version options). Its retries stay off: see retry.ts. */
  clientOptions?: SecretClientOptions;
}

/** Options of the vault reads a caller may give up on. */
export interface VaultReadOptions {
  /** Aborts the read (and its retries) with the signal's reason; writes take none, so a rotated token is never lost. */
  abortSignal?: AbortSignal;
}

/**
 * The app credentials the stack stores in the vault: the certificate when the
 * vault holds one (then the commands sign client assertions with its key), else
 * the client secret. At least one of the two is set.
 */
export interface AppCredentials {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  clientCertificate?: ClientCertificate;
}


/** The stored refresh token and what the vault knows about it. */
export interface StoredRefreshToken {
  value: string;
  version?: string;
  tags: Partial<RefreshTokenTags>;
  updatedOn?: Date;
  expiresOn?: Date;
}

/** The metadata of one secret, without its value. */
export interface SecretMetadata {
  name: string;
  enabled: boolean;
  expiresOn?: Date;
  updatedOn?: Date;
  createdOn?: Date;
  contentType?: string;
  tags: Record<string, string>;
}

/** A secret in the vault's deleted (soft-deleted, recoverable) state. */
export interface DeletedSecretInfo {
  name: string;
  deletedOn?: Date;
  /** When the vault purges it for good. */
  scheduledPurgeDate?: Date;
}

/** What `VaultStore.prepareRefreshTokenSecret` found and did. */
export type RefreshTokenSecretState = "present" | "absent" | "recovered";
