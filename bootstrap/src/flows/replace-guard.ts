/**
 * Whose identity the stored refresh token carries. A bootstrap over a healthy
 * stored token consented by someone else would change the identity every
 * automation uses; it needs `--replace` (or a yes typed on a terminal). The same
 * user signing in again simply renews it.
 */
import { catalogError } from "../core/error-catalogue";
import type { InteractiveProgress } from "../core/progress";
import type { SecretMetadata } from "../vault/vault-types";

/** The healthy refresh token in the vault and who consented it (from its tags). */
export interface StoredConsent {
  /** The UPN in the `consentedBy` tag; undefined when the tag is missing (the owner is unknown). */
  consentedBy?: string;
  consentedAt?: string;
  mfa?: string;
}

/** How the bootstrap may replace the stored token. */
export interface ReplaceOptions {
  /** `--replace`: replace a token consented by someone else without asking. */
  replace: boolean;
  /** Asks a yes/no question on a terminal; absent when nobody can answer (no TTY, --json). */
  confirm?: (question: string) => Promise<boolean>;
  reporter: InteractiveProgress;
}

/** The stored token when it is healthy (enabled, not expired), else undefined: nothing to lose by replacing it. */
export function healthyStoredConsent(metadata: SecretMetadata | undefined, now: Date): StoredConsent | undefined {
  if (!metadata || !metadata.enabled) return undefined;
  if (metadata.expiresOn && metadata.expiresOn.getTime() <= now.getTime()) return undefined;
  const { consentedBy, consentedAt, mfa } = metadata.tags;
  return { consentedBy: consentedBy || undefined, consentedAt: consentedAt || undefined, mfa };
}

/** "admin@contoso.com on 2026-01-02T03:04:05.000Z" — who consented the stored token, and when. */
export function describeConsent(stored: StoredConsent): string {
  return `${stored.consentedBy ?? "an unknown user (no consentedBy tag)"}${stored.consentedAt ? ` on ${stored.consentedAt}` : ""}`;
}

/** True when `user` is the one who consented the stored token. */
export function sameUser(stored: StoredConsent, user: string): boolean {
  return stored.consentedBy !== undefined && stored.consentedBy.toLowerCase() === user.toLowerCase();
}

/**
 * Resolves when `user` may replace the stored token: it is theirs, `--replace`
 * was given, or the person answered yes. Otherwise throws `refresh_token_in_use`
 * (exit 2) naming whose token it is and how to replace it; nothing is written.
 */
export async function allowReplacement(stored: StoredConsent, user: string, signedIn: boolean, options: ReplaceOptions): Promise<void> {
  if (options.replace || sameUser(stored, user)) return;
  const question = `The vault holds a refresh token consented by ${describeConsent(stored)}. Replace it with ${user}'s? Every automation will then act as ${user}. [y/N] `;
  if (options.confirm && (await options.confirm(question))) {
    options.reporter.step(`Replacing the refresh token of ${stored.consentedBy ?? "an unknown user"} with ${user}'s, as confirmed.`);
    return;
  }
  throw catalogError("refresh_token_in_use", {
    message:
      `The vault already holds a healthy refresh token consented by ${describeConsent(stored)}; ` +
      `${signedIn ? `${user} signed in, and` : `--login-hint names ${user}, and`} replacing it would change the identity every automation uses. ` +
      `${signedIn ? "Nothing was stored: the stored token is kept." : "Nothing was signed in or stored."}`,
    hint: `To replace it with ${user}'s, run \`partner-center-sam bootstrap --replace\`${signedIn ? "" : ` --login-hint ${user}`}; to renew it, sign in as ${stored.consentedBy ?? "its owner"}.`,
  });
}
