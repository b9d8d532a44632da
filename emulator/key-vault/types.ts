/**
 * The Key Vault stand-in's data shapes: the public options and views tests
 * use, and the internal records of stored versions, deleted secrets and
 * routed operations.
 */
import type { EntraEmulator } from "../entra";
import type { ServerTls } from "../http";

/** Options of `KeyVaultEmulator` (index.ts). */
export interface KeyVaultEmulatorOptions {
  tls: ServerTls;
  entra: EntraEmulator;
  /** The vault's tenant: tokens must come from it. */
  tenantId: string;
  /** Vault name, the first label of the URI (default `pcsam-test-kv`). */
  name?: string;
}

/** Key Vault Secrets Officer (read, write, list) or Key Vault Secrets User (read, list). */
export type VaultRole = "officer" | "user";

/** Attributes for `KeyVaultEmulator.setSecret`. */
export interface SeedSecretOptions {
  contentType?: string;
  expiresOn?: Date;
  notBefore?: Date;
  enabled?: boolean;
  tags?: Record<string, string>;
  createdOn?: Date;
  updatedOn?: Date;
}

/** One stored secret version, as tests inspect it. */
export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  expiresOn?: Date;
  notBefore?: Date;
  createdOn: Date;
  updatedOn: Date;
}

/** Which requests a fault applies to. */
export interface VaultFaultFilter {
  /** HTTP method, e.g. `PUT`. */
  method?: string;
  /** Secret name. */
  name?: string;
}

/** One request as the vault saw it (no values, no tokens). */
export interface VaultRequestRecord {
  method: string;
  path: string;
  name?: string;
  /** The api-version query parameter, if any. */
  apiVersion?: string;
  status: number;
  /** A valid bearer token was presented. */
  authenticated: boolean;
  objectId?: string;
}

/** One authenticated write attempt. */
export interface VaultWriteRecord {
  method: string;
  name: string;
  status: number;
  /** The new version when the write succeeded. */
  version?: string;
}

export interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

/** Options of `KeyVaultEmulator.failNext`. */
export interface VaultFaultOptions {
  /** Sent as `Retry-After` (seconds) with a 429. Real 429s often carry none, so by default none is sent. */
  retryAfterSeconds?: number;
}

export interface Operation {
  kind: "set" | "get" | "list" | "versions" | "update" | "delete" | "getDeleted" | "listDeleted" | "recover" | "purge";
  name?: string;
  version?: string;
}

/** A secret in the deleted state. */
export interface DeletedEntry {
  versions: StoredVersion[];
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** A deleted secret as tests inspect it. */
export interface DeletedSecretView {
  name: string;
  deletedDate: Date;
  scheduledPurgeDate: Date;
  /** How many versions a recovery would bring back. */
  versionCount: number;
}
