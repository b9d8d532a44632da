/**
 * The guard against silently replacing someone else's refresh token. Whoever
 * consented the stored token is the identity every automation acts as; storing a
 * token of another user changes that. Every command that stores a new refresh
 * token (`bootstrap`, `import-token`) asks this module before its write: a
 * healthy token consented by another user is replaced only with `--replace` (or
 * a yes typed on a terminal); the same user simply renews it, and an expired or
 * disabled token has nothing to lose. It reads the secret's metadata (tags,
 * expiry), never its value.
 */
import { catalogError } from "../core/error-catalogue";
import type { InteractiveProgress } from "../core/progress";
import type { VaultStore } from "../vault/vault-store";
import type { SecretMetadata } from "../vault/vault-types";

/** Who consented the stored refresh token, from its tags, and whether it looks usable. */
export interface StoredConsent {
  /** The `consentedBy` tag; undefined when the secret has none (written by hand or by another tool). */
  consentedBy?: string;
  consentedAt?: string;
  mfa?: string;
  expiresOn?: Date;
  /** Enabled and not past its expiry: it may well still work. */
  healthy: boolean;
}

/** What the stored refresh token's metadata says of its consent; undefined when nothing is stored. */
export function storedConsentOf(metadata: SecretMetadata | undefined, now: Date): StoredConsent | undefined {
  if (!metadata) return undefined;
  const { consentedBy, consentedAt, mfa } = metadata.tags;
  return {
    consentedBy: consentedBy || undefined,
    consentedAt: consentedAt || undefined,
    mfa,
    expiresOn: metadata.expiresOn,
    healthy: metadata.enabled && (!metadata.expiresOn || metadata.expiresOn.getTime() > now.getTime()),
  };
}

/** The stored token when it is healthy (enabled, not expired), else undefined: nothing to lose by replacing it. */
export function healthyStoredConsent(metadata: SecretMetadata | undefined, now: Date): StoredConsent | undefined {
  const stored = storedConsentOf(metadata, now);
  return stored?.healthy ? stored : undefined;
}

/** The stored refresh token's consent, read from the vault; undefined when none is stored. */
export async function readStoredConsent(store: VaultStore, now = new Date()): Promise<StoredConsent | undefined> {
  return storedConsentOf((await store.readMetadata()).get(store.secretNames.refreshToken), now);
}

/** "admin@contoso.com on 2026-01-02T03:04:05.000Z" — who consented the stored token, and when. */
export function describeConsent(stored: Omit<StoredConsent, "healthy">): string {
  return `${stored.consentedBy ?? "an unknown user (the secret has no consentedBy tag)"}${stored.consentedAt ? ` on ${stored.consentedAt}` : ""}`;
}

/** True when `user` is the one who consented the stored token. */
export function sameUser(stored: Pick<StoredConsent, "consentedBy">, user: string): boolean {
  return stored.consentedBy !== undefined && stored.consentedBy.toLowerCase() === user.toLowerCase();
}

/** True when storing a token of `newUser` over `stored` changes whose identity is used. */
export function replacesAnotherUser(stored: StoredConsent | undefined, newUser: string): stored is StoredConsent {
  return stored?.healthy === true && !sameUser(stored, newUser);
}

/** How a command may replace the stored token. */
export interface ReplaceOptions {
  /** `--replace`: replace a token consented by someone else without asking. */
  replace: boolean;
  /** Asks a yes/no question on a terminal; absent when nobody can answer (no TTY, --json, a piped stdin). */
  confirm?: (question: string) => Promise<boolean>;
  /** Where a confirmed replacement is said. */
  reporter?: InteractiveProgress;
  /** The command line to run again with `--replace`, as the user ran it. */
  retryWithReplace: string;
}

/**
 * Resolves when `user` may replace the stored token: it is not healthy, it is
 * theirs, `--replace` was given, or the person answered yes. Otherwise throws
 * `refresh_token_in_use` (exit 2) naming whose token it is and how to replace it;
 * nothing is written. `signedIn` says whether `user` has signed in already (the
 * bootstrap also checks a `--login-hint` before opening the browser).
 */
export async function allowReplacement(stored: StoredConsent | undefined, user: string, signedIn: boolean, options: ReplaceOptions): Promise<void> {
  if (options.replace || !replacesAnotherUser(stored, user)) return;
  const until = stored.expiresOn ? `, valid until ${stored.expiresOn.toISOString()} unless refreshed` : "";
  const question = `The vault holds a refresh token consented by ${describeConsent(stored)}${until}. Replace it with ${user}'s? Every automation will then act as ${user}. [y/N] `;
  if (options.confirm && (await options.confirm(question))) {
    options.reporter?.step(`Replacing the refresh token of ${stored.consentedBy ?? "an unknown user"} with ${user}'s, as confirmed.`);
    return;
  }
  throw catalogError("refresh_token_in_use", {
    message:
      `The vault already holds a healthy refresh token consented by ${describeConsent(stored)}${until}; ` +
      `${signedIn ? `${user} signed in, and` : `--login-hint names ${user}, and`} storing ${user}'s would change the identity every automation uses. ` +
      `${signedIn ? "Nothing was stored: the stored token is kept." : "Nothing was signed in or stored."}`,
    hint: `If ${user} should be that identity, run \`${options.retryWithReplace}\`; to renew the stored token instead, sign in as ${stored.consentedBy ?? "its owner"}.`,
  });
}

/** Options of {@link guardReplacingAnotherUsersToken}. */
export interface ReplaceGuardOptions extends ReplaceOptions {
  store: VaultStore;
  /** The user whose refresh token is about to be stored. */
  newUser: string;
  now?: Date;
}

/**
 * Reads the stored token's consent and applies {@link allowReplacement} for a
 * user who has already signed in (their token is redeemed). Returns what was
 * stored (undefined when nothing was), so the command can say whose token it replaced.
 */
export async function guardReplacingAnotherUsersToken(options: ReplaceGuardOptions): Promise<StoredConsent | undefined> {
  const stored = await readStoredConsent(options.store, options.now);
  await allowReplacement(stored, options.newUser, true, options);
  return stored;
}
