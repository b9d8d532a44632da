/**
 * The guard against silently replacing someone else's refresh token. Whoever
 * consented the stored token is the identity every automation acts as; storing a
 * token of another user changes that. Any command that stores a new refresh token
 * (`import-token`, `bootstrap`) calls {@link guardReplacingAnotherUsersToken}
 * before its write: a healthy token consented by another user is replaced only
 * with `--replace` (or a yes from the person, where the command can ask).
 * It reads the secret's metadata (tags, expiry), never its value.
 */
import { catalogError } from "../core/error-catalogue";
import type { VaultStore } from "../vault/vault-store";

/** Who consented the stored refresh token, from its tags, and whether it looks usable. */
export interface StoredConsent {
  /** The `consentedBy` tag; undefined when the secret has none (written by hand or by another tool). */
  consentedBy?: string;
  consentedAt?: string;
  expiresOn?: Date;
  /** Enabled and not past its expiry: it may well still work. */
  healthy: boolean;
}

/** Options of {@link guardReplacingAnotherUsersToken}. */
export interface ReplaceGuardOptions {
  store: VaultStore;
  /** The user whose refresh token is about to be stored. */
  newUser: string;
  /** `--replace` was given: replace whatever is stored. */
  replace: boolean;
  /**
   * Asks the person whether to replace it (an interactive yes); resolves true to
   * go ahead. Omit it where there is no one to ask (stdin is a pipe or not a
   * terminal): then only `replace` allows it.
   */
  confirm?: (question: string) => Promise<boolean>;
  /** The command line to run again with `--replace`, as the user ran it (e.g. `npm run import-token -- --replace`). */
  retryWithReplace: string;
  now?: Date;
}

/** The stored refresh token's consent, or undefined when none is stored. */
export async function readStoredConsent(store: VaultStore, now = new Date()): Promise<StoredConsent | undefined> {
  const metadata = (await store.readMetadata()).get(store.secretNames.refreshToken);
  if (!metadata) return undefined;
  const tags = metadata.tags;
  return {
    consentedBy: tags.consentedBy || undefined,
    consentedAt: tags.consentedAt || undefined,
    expiresOn: metadata.expiresOn,
    healthy: metadata.enabled && (!metadata.expiresOn || metadata.expiresOn.getTime() > now.getTime()),
  };
}

/** True when storing a token of `newUser` over `stored` changes whose identity is used. */
export function replacesAnotherUser(stored: StoredConsent | undefined, newUser: string): stored is StoredConsent {
  if (!stored?.healthy) return false;
  return stored.consentedBy?.toLowerCase() !== newUser.toLowerCase();
}

/**
 * Throws `replace_confirmation_required` when a healthy refresh token consented
 * by someone other than `newUser` is stored and neither `replace` nor a yes
 * from `confirm` allows replacing it. Returns what is stored (undefined when
 * nothing is), so the command can say whose token it replaced.
 */
export async function guardReplacingAnotherUsersToken(options: ReplaceGuardOptions): Promise<StoredConsent | undefined> {
  const stored = await readStoredConsent(options.store, options.now);
  if (options.replace || !replacesAnotherUser(stored, options.newUser)) return stored;
  const who = stored.consentedBy ?? "an unknown user (the secret has no consentedBy tag)";
  const when = stored.consentedAt ? ` on ${stored.consentedAt}` : "";
  const until = stored.expiresOn ? `, valid until ${stored.expiresOn.toISOString()} unless refreshed` : "";
  const question = `The vault holds a refresh token consented by ${who}${when}${until}. Replace it with ${options.newUser}'s? Every automation will then act as ${options.newUser}.`;
  if (options.confirm && (await options.confirm(question))) return stored;
  throw catalogError("replace_confirmation_required", {
    message: `Not replaced: the vault holds a healthy refresh token consented by ${who}${when}${until}. Storing ${options.newUser}'s would change whose identity every automation uses.`,
    hint: `If ${options.newUser} should be that identity, run \`${options.retryWithReplace}\`; otherwise keep the stored token (nothing was changed).`,
  });
}
