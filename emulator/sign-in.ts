/**
 * Completing an interactive sign-in without a browser: the emulator answers its
 * own sign-in, MFA and consent pages as the user would, then delivers Entra's
 * redirect (the authorization code) to the redirect URI — the loopback
 * listener of the `bootstrap` that is waiting for it.
 */
import type { EntraEmulator, EntraUser } from "./entra";

/** Options of the emulator's `signIn`. */
export interface EmulatorSignInOptions {
  /**
   * The authorize URL the sign-in started with (what `bootstrap --no-browser`
   * prints). Default: the newest one whose page was opened and not finished.
   */
  url?: string;
  /** Who signs in (user principal name). Default: the emulator's first user, or with `mfa: false` its first user without MFA. */
  user?: string;
  /**
   * Whether the user signs in with MFA (tokens say `amr: ["pwd","mfa"]`) or
   * without (`["pwd"]`). As in Entra ID this is the user's own setting, so it
   * picks the user (see `user`) and is refused when it contradicts the user named.
   * Default: the user's setting.
   */
  mfa?: boolean;
  /** The code typed on the MFA page. Default: the user's right code. */
  mfaCode?: string;
  /** The answer on the consent page. Default `accept`. */
  consent?: "accept" | "deny";
}

/** A user the sign-in can use. */
type KnownUser = Pick<EntraUser, "username" | "password" | "mfa" | "mfaCode">;

/** How long delivering the redirect to the waiting command may take. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** The user `options` names, or the first one (without MFA when `mfa` is false); throws when there is none. */
function chooseUser(users: readonly KnownUser[], options: EmulatorSignInOptions): KnownUser {
  const list = users.map((u) => `${u.username} (${u.mfa ? "MFA" : "no MFA"})`).join(", ");
  if (options.user === undefined) {
    const user = options.mfa === undefined ? users[0] : users.find((u) => u.mfa === options.mfa);
    if (!user) throw new Error(`The emulator has no user ${options.mfa ? "with" : "without"} MFA; its users are ${list}. Start it with such a user in \`users\`.`);
    return user;
  }
  const user = users.find((u) => u.username.toLowerCase() === options.user?.toLowerCase());
  if (!user) throw new Error(`The emulator has no user ${options.user}; its users are ${list}.`);
  if (options.mfa !== undefined && options.mfa !== user.mfa) {
    throw new Error(`${user.username} signs in ${user.mfa ? "with" : "without"} MFA (its own setting, as in Entra ID); name a user ${options.mfa ? "with" : "without"} MFA or leave out mfa.`);
  }
  return user;
}

/** Answers the pages as `options` says and delivers the redirect; rejects with what went wrong. */
export async function completeSignIn(entra: EntraEmulator, users: readonly KnownUser[], options: EmulatorSignInOptions): Promise<void> {
  const url = options.url ?? entra.takePendingSignInUrl();
  if (!url) {
    throw new Error("No sign-in is pending at the emulator: pass the authorize URL (what `bootstrap --no-browser` prints) as `url`.");
  }
  const user = chooseUser(users, options);
  const redirect = await entra.signIn(url, {
    username: user.username,
    password: user.password,
    mfaCode: options.mfaCode ?? user.mfaCode,
    consent: options.consent ?? "accept",
  });
  const res = await fetch(redirect, { redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
  await res.arrayBuffer();
}
