/**
 * The vault's data: secrets with their versions, attributes and tags, and the
 * soft-delete state (deleted secrets, recover, purge). Pure data operations
 * and the request-body validation of writes; no HTTP.
 */
import { randomHex } from "../http";
import { badParameter, deletedSecretNotFound, secretNotFound } from "./errors";
import type { DeletedEntry, DeletedSecretView, SecretVersion, SeedSecretOptions, StoredVersion } from "./types";

/** Secret names the service accepts. */
export const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;
const MAX_TAGS = 15;

/** Days a deleted secret stays recoverable (the stack's softDeleteRetentionInDays default). */
const RETENTION_DAYS = 90;

function epoch(date: Date | undefined): number | undefined {
  return date ? Math.floor(date.getTime() / 1000) : undefined;
}

function toDate(seconds: number | undefined): Date | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}

/** Secrets by lower-cased name, live and deleted. */
export class SecretStore {
  private readonly secrets = new Map<string, StoredVersion[]>();
  private readonly deleted = new Map<string, DeletedEntry>();
  /** Secret names are case-insensitive; ids keep the casing of the first write. */
  private readonly displayNames = new Map<string, string>();

  // ------------------------------------------------------------ inspection

  /** Seeds a new version directly (no auth, not counted in writes). */
  seed(name: string, value: string, options: SeedSecretOptions): SecretVersion {
    if (!SECRET_NAME.test(name)) throw new Error(`invalid secret name ${name}`);
    if (this.deleted.has(name.toLowerCase())) throw new Error(`secret ${name} is deleted; recover or purge it first`);
    const now = Date.now();
    const stored: StoredVersion = {
      version: randomHex(16),
      value,
      contentType: options.contentType,
      tags: { ...(options.tags ?? {}) },
      enabled: options.enabled ?? true,
      nbf: epoch(options.notBefore),
      exp: epoch(options.expiresOn),
      created: epoch(options.createdOn) ?? Math.floor(now / 1000),
      updated: epoch(options.updatedOn ?? options.createdOn) ?? Math.floor(now / 1000),
    };
    this.store(name, stored);
    return this.view(name, stored);
  }

  /** The latest version of a secret, or undefined. */
  latest(name: string): SecretVersion | undefined {
    const list = this.secrets.get(name.toLowerCase());
    const last = list?.[list.length - 1];
    return last && this.view(name, last);
  }

  /** The names of the live (not deleted) secrets, in the casing of their first write, sorted. */
  names(): string[] {
    return [...this.secrets.keys()].map((key) => this.canonicalName(key)).sort();
  }

  /** Every version of a secret, oldest first. */
  versions(name: string): SecretVersion[] {
    return (this.secrets.get(name.toLowerCase()) ?? []).map((v) => this.view(name, v));
  }

  /** A deleted secret, or undefined. */
  deletedSecret(name: string): DeletedSecretView | undefined {
    const entry = this.deleted.get(name.toLowerCase());
    if (!entry) return undefined;
    return {
      name: this.canonicalName(name),
      deletedDate: new Date(entry.deletedDate * 1000),
      scheduledPurgeDate: new Date(entry.scheduledPurgeDate * 1000),
      versionCount: entry.versions.length,
    };
  }

  // ------------------------------------------------------------- live state

  /** Live secrets as `[lower-cased name, versions oldest first]`. */
  liveEntries(): [string, StoredVersion[]][] {
    return [...this.secrets.entries()];
  }

  /** Every stored version of a live secret, oldest first, or undefined. */
  storedVersions(name: string): StoredVersion[] | undefined {
    return this.secrets.get(name.toLowerCase());
  }

  /** A version of a live secret (the latest without `version`), or 404 SecretNotFound. */
  find(name: string, version?: string): StoredVersion {
    const list = this.secrets.get(name.toLowerCase());
    const found = version ? list?.find((v) => v.version === version.toLowerCase()) : list?.[list.length - 1];
    if (!found) throw secretNotFound(name, version);
    return found;
  }

  /** A new version from a PUT body, validated as the service does. */
  put(name: string, body: Record<string, unknown>): StoredVersion {
    if (typeof body.value !== "string") throw badParameter("Property 'value' is required and must be a string.");
    if (Buffer.byteLength(body.value) > MAX_VALUE_BYTES) throw badParameter("Secret value is too large; the maximum is 25 KB.");
    const attributes = this.attributes(body.attributes);
    const now = Math.floor(Date.now() / 1000);
    const stored: StoredVersion = {
      version: randomHex(16),
      value: body.value,
      contentType: this.contentType(body.contentType),
      tags: this.tags(body.tags) ?? {},
      enabled: attributes.enabled ?? true,
      nbf: attributes.nbf,
      exp: attributes.exp,
      created: now,
      updated: now,
    };
    this.store(name, stored);
    return stored;
  }

  /** Updates a version's attributes, content type and tags from a PATCH body. */
  patch(name: string, version: string, body: Record<string, unknown>): StoredVersion {
    const stored = this.find(name, version);
    const attributes = this.attributes(body.attributes);
    if (body.contentType !== undefined) stored.contentType = this.contentType(body.contentType);
    const tags = this.tags(body.tags);
    if (tags) stored.tags = tags;
    if (attributes.enabled !== undefined) stored.enabled = attributes.enabled;
    if ("nbf" in attributes) stored.nbf = attributes.nbf;
    if ("exp" in attributes) stored.exp = attributes.exp;
    stored.updated = Math.floor(Date.now() / 1000);
    return stored;
  }

  /** The name as first written (ids keep it), or `name` itself. */
  canonicalName(name: string): string {
    return this.displayNames.get(name.toLowerCase()) ?? name;
  }

  // ------------------------------------------------------------ soft delete

  /** The name is in the deleted state. */
  isDeleted(name: string): boolean {
    return this.deleted.has(name.toLowerCase());
  }

  /** Deleted secrets as `[lower-cased name, entry]`. */
  deletedEntries(): [string, DeletedEntry][] {
    return [...this.deleted.entries()];
  }

  /** Moves a live secret to the deleted state (`deletedDate` in Unix seconds). */
  softDelete(name: string, deletedDate: number): DeletedEntry {
    const key = name.toLowerCase();
    const versions = this.secrets.get(key);
    if (!versions) throw new Error(`no secret ${name} to delete`);
    const entry: DeletedEntry = { versions, deletedDate, scheduledPurgeDate: deletedDate + RETENTION_DAYS * 24 * 3600 };
    this.secrets.delete(key);
    this.deleted.set(key, entry);
    return entry;
  }

  /** A deleted secret, or 404 SecretNotFound. */
  findDeleted(name: string): DeletedEntry {
    const entry = this.deleted.get(name.toLowerCase());
    if (!entry) throw deletedSecretNotFound(name);
    return entry;
  }

  /** Brings a deleted secret back with all its versions. */
  recover(name: string): DeletedEntry {
    const key = name.toLowerCase();
    const entry = this.findDeleted(name);
    this.deleted.delete(key);
    this.secrets.set(key, entry.versions);
    return entry;
  }

  /** Removes a deleted secret for good; the name forgets its casing. */
  purge(name: string): void {
    const key = name.toLowerCase();
    this.findDeleted(name);
    this.deleted.delete(key);
    this.displayNames.delete(key);
  }

  // -------------------------------------------------------------- internals

  private attributes(raw: unknown): { enabled?: boolean; nbf?: number; exp?: number } {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== "object") throw badParameter("Property 'attributes' must be an object.");
    const a = raw as Record<string, unknown>;
    const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
    if (a.enabled !== undefined && a.enabled !== null) {
      if (typeof a.enabled !== "boolean") throw badParameter("Property 'attributes.enabled' must be a boolean.");
      out.enabled = a.enabled;
    }
    for (const key of ["nbf", "exp"] as const) {
      if (a[key] === undefined || a[key] === null) continue;
      if (typeof a[key] !== "number" || !Number.isInteger(a[key])) {
        throw badParameter(`Property 'attributes.${key}' must be a Unix time in seconds.`);
      }
      out[key] = a[key] as number;
    }
    return out;
  }

  private contentType(raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "string" || raw.length > 255) throw badParameter("Property 'contentType' must be a string of at most 255 characters.");
    return raw;
  }

  private tags(raw: unknown): Record<string, string> | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "object" || Array.isArray(raw)) throw badParameter("Property 'tags' must be an object.");
    const entries = Object.entries(raw as Record<string, unknown>);
    if (entries.length > MAX_TAGS) throw badParameter(`A secret can have at most ${MAX_TAGS} tags.`);
    for (const [k, v] of entries) {
      if (typeof v !== "string" || k.length > 512 || v.length > 256) {
        throw badParameter("Tag names must be at most 512 and values at most 256 characters, and values must be strings.");
      }
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }

  private store(name: string, version: StoredVersion): void {
    const key = name.toLowerCase();
    const list = this.secrets.get(key) ?? [];
    if (!this.displayNames.has(key)) this.displayNames.set(key, name);
    list.push(version);
    this.secrets.set(key, list);
  }

  private view(name: string, v: StoredVersion): SecretVersion {
    return {
      name: this.canonicalName(name),
      version: v.version,
      value: v.value,
      contentType: v.contentType,
      tags: { ...v.tags },
      enabled: v.enabled,
      expiresOn: toDate(v.exp),
      notBefore: toDate(v.nbf),
      createdOn: new Date(v.created * 1000),
      updatedOn: new Date(v.updated * 1000),
    };
  }
}
