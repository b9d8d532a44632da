/**
 * The access-token cache shared by every process of one user, like the Azure
 * CLI's `~/.azure/msal_token_cache.*`: `token`, `call` and a provider created
 * with `cache: "shared"` reuse an access token for the same (authority, vault,
 * tenant, scopes) until five minutes before it expires, without any request.
 *
 * One file per entry (a SHA-256 of the key), in the user's cache folder, owner-only
 * (file 0600, folder 0700) on POSIX systems. It holds access tokens only — never a
 * refresh token, client secret or other secret. A file or folder that is not
 * what this module writes (wrong owner, readable by others, a symlink, corrupt or
 * truncated) is never read: the entry is dropped (or the cache bypassed) with a
 * one-line warning, and the command goes on as without a cache. Writes go to a
 * temporary file that is renamed over the entry, so two processes filling the same
 * entry at once leave one whole entry, never a mix.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { defaultCacheFolder } from "../core/cache-folder";
import { nodeCrypto } from "../core/lazy-builtins";
import { writeOwnerOnlyFile } from "../core/owner-only-file";

export { CACHE_FOLDER_NAME, defaultCacheFolder } from "../core/cache-folder";

/** The environment variable that turns the shared cache off (`1`, `true` or `yes`). */
export const NO_CACHE_ENV = "PARTNER_CENTER_SAM_NO_CACHE";


/** The format of an entry; a file with another version is dropped. */
const ENTRY_VERSION = 1;
const ENTRY_FILE = /^[0-9a-f]{64}\.json$/;
const TEMP_FILE = /^[0-9a-f]{64}\.json\.[0-9a-z.-]+\.tmp$/;
/** Unix permission bits that let anyone but the owner in. */
const GROUP_OR_OTHER = 0o077;

/** What identifies one cached access token. */
export interface TokenCacheKey {
  /** The Entra ID authority host the token came from. */
  authorityHost: string;
  /** The vault whose refresh token was redeemed. */
  keyVaultUri: string;
  /** The tenant asked for ("" for the partner's own). */
  tenant: string;
  scopes: readonly string[];
}

/** One cached access token. */
export interface CachedAccessToken {
  accessToken: string;
  expiresOn: Date;
  tenantId: string;
  scopes: string[];
}

/** Options of {@link SharedTokenCache}. */
export interface SharedTokenCacheOptions {
  /** The folder; default {@link defaultCacheFolder}. */
  folder?: string;
  /** Told one line per problem found (a bad file, an unsafe folder). Default `process.emitWarning`. */
  warn?: (message: string) => void;
  /** A token is served until this long before it expires (ms). Default 5 minutes. */
  expiryMarginMs?: number;
  now?: () => number;
}

/** True when PARTNER_CENTER_SAM_NO_CACHE turns the shared cache off. */
export function sharedCacheDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env[NO_CACHE_ENV]?.trim() ?? "");
}

/** The file name of an entry: a hash, so the file name tells nothing about the vault or tenant. */
export function entryFileName(key: TokenCacheKey): string {
  return `${nodeCrypto().createHash("sha256").update(keyText(key)).digest("hex")}.json`;
}

function keyText(key: TokenCacheKey): string {
  return JSON.stringify([key.authorityHost.toLowerCase().replace(/\/+$/, ""), key.keyVaultUri.toLowerCase().replace(/\/+$/, ""), key.tenant.toLowerCase(), [...key.scopes].sort()]);
}

/** The shared access-token cache (see the file's comment). */
export class SharedTokenCache {
  readonly folder: string;
  private readonly warnOnce: (message: string) => void;
  private readonly expiryMarginMs: number;
  private readonly now: () => number;
  /** False once the folder proved unsafe or unusable: the cache is bypassed for the rest of the process. */
  private usable = true;
  private folderChecked = false;
  private readonly posix = process.platform !== "win32";

  constructor(options: SharedTokenCacheOptions = {}) {
    this.folder = options.folder ?? defaultCacheFolder();
    const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: "PCSAM_TOKEN_CACHE" }));
    const said = new Set<string>();
    this.warnOnce = (message) => {
      if (said.has(message)) return;
      said.add(message);
      warn(message);
    };
    this.expiryMarginMs = options.expiryMarginMs ?? 5 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The cached token for `key`, if one is valid for more than the margin; never throws. */
  get(key: TokenCacheKey): CachedAccessToken | undefined {
    if (!this.checkFolder(false)) return undefined;
    const file = path.join(this.folder, entryFileName(key));
    const text = this.readSafely(file);
    if (text === undefined) return undefined;
    const entry = parseEntry(text, keyText(key));
    if (!entry) {
      this.drop(file, `The token cache file ${file} is corrupt or truncated; it was removed and the token is fetched again.`);
      return undefined;
    }
    return entry.expiresOn.getTime() - this.expiryMarginMs > this.now() ? entry : undefined;
  }

  /** Stores `token` for `key` (atomically); a token that would not be served is not stored. Never throws. */
  set(key: TokenCacheKey, token: CachedAccessToken): void {
    if (token.expiresOn.getTime() - this.expiryMarginMs <= this.now()) return;
    if (!this.checkFolder(true)) return;
    const file = path.join(this.folder, entryFileName(key));
    const body = JSON.stringify({
      version: ENTRY_VERSION,
      key: keyText(key),
      accessToken: token.accessToken,
      expiresOn: token.expiresOn.toISOString(),
      tenantId: token.tenantId,
      scopes: token.scopes,
    });
    try {
      writeOwnerOnlyFile(file, body);
    } catch (error) {
      this.warnOnce(`The token cache in ${this.folder} could not be written (${describe(error)}); the command goes on without it.`);
    }
  }

  /** Forgets the entry for `key` (after a service refused its token). Never throws. */
  delete(key: TokenCacheKey): void {
    if (!this.checkFolder(false)) return;
    tryUnlink(path.join(this.folder, entryFileName(key)));
  }

  /**
   * Removes every entry (and left-over temporary file). Resolves to how many
   * entries were removed; throws when the folder exists but is not a folder
   * this user owns (so `cache clear` can say so).
   */
  clear(): number {
    let names: string[];
    try {
      const stat = lstatSync(this.folder);
      if (!stat.isDirectory()) throw new Error(`${this.folder} is not a folder (it is ${stat.isSymbolicLink() ? "a symbolic link" : "a file"})`);
      if (this.posix && stat.uid !== process.getuid?.()) throw new Error(`${this.folder} belongs to another user (uid ${stat.uid})`);
      names = readdirSync(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names) {
      if (!ENTRY_FILE.test(name) && !TEMP_FILE.test(name)) continue;
      if (tryUnlink(path.join(this.folder, name)) && ENTRY_FILE.test(name)) removed += 1;
    }
    return removed;
  }

  /** Whether the folder is safe to use; creates it (0700) when `create`. Warns once and bypasses the cache when it is not. */
  private checkFolder(create: boolean): boolean {
    if (!this.usable) return false;
    if (this.folderChecked) return true;
    let stat;
    try {
      stat = lstatSync(this.folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands where a parent folder should be; creating it says why it cannot be.
      if (code !== "ENOENT" && code !== "ENOTDIR") return this.bypass(`cannot be read (${describe(error)})`);
      if (!create) return false;
      try {
        mkdirSync(this.folder, { recursive: true, mode: 0o700 });
        stat = lstatSync(this.folder);
      } catch (mkdirError) {
        return this.bypass(`cannot be created (${describe(mkdirError)})`);
      }
    }
    if (stat.isSymbolicLink()) return this.bypass("is a symbolic link");
    if (!stat.isDirectory()) return this.bypass("is not a folder");
    if (this.posix) {
      if (stat.uid !== process.getuid?.()) return this.bypass(`belongs to another user (uid ${stat.uid})`);
      if ((stat.mode & GROUP_OR_OTHER) !== 0) return this.bypass(`is open to other users (mode ${(stat.mode & 0o777).toString(8)}; it must be 700: \`chmod 700 ${this.folder}\`)`);
    }
    this.folderChecked = true;
    return true;
  }

  private bypass(why: string): false {
    this.usable = false;
    this.warnOnce(`The token cache folder ${this.folder} ${why}; the command goes on without the cache.`);
    return false;
  }

  /** The file's text, or undefined when it is absent or unsafe (then it is removed, with a warning). */
  private readSafely(file: string): string | undefined {
    let fd: number;
    try {
      // O_NOFOLLOW: a symbolic link is refused by the kernel, never followed.
      fd = openSync(file, constants.O_RDONLY | (this.posix ? constants.O_NOFOLLOW : 0));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      if (code === "ELOOP" || code === "EMLINK") this.drop(file, `The token cache file ${file} is a symbolic link; it was removed, not followed.`);
      else this.warnOnce(`The token cache file ${file} cannot be read (${describe(error)}); the token is fetched again.`);
      return undefined;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) {
        this.warnOnce(`The token cache entry ${file} is not a file; the token is fetched again.`);
        return undefined;
      }
      if (this.posix && stat.uid !== process.getuid?.()) {
        this.drop(file, `The token cache file ${file} belongs to another user (uid ${stat.uid}); it was not read.`);
        return undefined;
      }
      if (this.posix && (stat.mode & GROUP_OR_OTHER) !== 0) {
        this.drop(file, `The token cache file ${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); it was not read and was removed.`);
        return undefined;
      }
      return readFileSync(fd, "utf8");
    } catch (error) {
      this.warnOnce(`The token cache file ${file} cannot be read (${describe(error)}); the token is fetched again.`);
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  private drop(file: string, message: string): void {
    tryUnlink(file);
    this.warnOnce(message);
  }
}

function parseEntry(text: string, key: string): CachedAccessToken | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const e = value as Record<string, unknown>;
  const expiresOn = typeof e.expiresOn === "string" ? new Date(e.expiresOn) : undefined;
  if (
    e.version !== ENTRY_VERSION ||
    e.key !== key ||
    typeof e.accessToken !== "string" ||
    e.accessToken === "" ||
    !expiresOn ||
    Number.isNaN(expiresOn.getTime()) ||
    typeof e.tenantId !== "string" ||
    !Array.isArray(e.scopes) ||
    !e.scopes.every((s) => typeof s === "string")
  ) {
    return undefined;
  }
  return { accessToken: e.accessToken, expiresOn, tenantId: e.tenantId, scopes: e.scopes as string[] };
}

function tryUnlink(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(error));
}
