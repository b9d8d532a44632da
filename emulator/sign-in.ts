/**
 * Completing an interactive sign-in without a browser: the emulator answers its
 * own sign-in, MFA and consent pages as the user would, then delivers Entra's
 * redirect (the authorization code) to the redirect URI — the loopback
 * listener of the `bootstrap` that is waiting for it.
 */
import type { EntraStandIn } from "./entra";

/** Options of the emulator's `signIn`. */
export interface EmulatorSignInOptions {
  /**
   * The authorize URL the sign-in started with (what `bootstrap --no-browser`
   * prints). Default: the newest one whose page was opened and not finished.
   */
  url?: string;
  /** Who signs in (user principal name). Default: the emulator's first user. */
  user?: string;
  /** The code typed on the MFA page. Default: the user's right code. */
  mfaCode?: string;
  /** The answer on the consent page. Default `accept`. */
  consent?: "accept" | "deny";
}

/** A user the sign-in can use. */
interface KnownUser {
  username: string;
  password: string;
  mfaCode: string;
}

/** How long delivering the redirect to the waiting command may take. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** Answers the pages as `options` says and delivers the redirect; rejects with what went wrong. */
export async function completeSignIn(entra: EntraStandIn, users: readonly KnownUser[], options: EmulatorSignInOptions): Promise<void> {
  const url = options.url ?? entra.pendingSignInUrl();
  if (!url) {
    throw new Error("No sign-in is pending at the emulator: pass the authorize URL (what `bootstrap --no-browser` prints) as `url`.");
  }
  const username = options.user ?? users[0]?.username;
  const user = users.find((u) => u.username.toLowerCase() === username?.toLowerCase());
  if (!user) throw new Error(`The emulator has no user ${String(username)}; its users are ${users.map((u) => u.username).join(", ")}.`);
  const redirect = await entra.signIn(url, {
    username: user.username,
    password: user.password,
    mfaCode: options.mfaCode ?? user.mfaCode,
    consent: options.consent ?? "accept",
  });
  const res = await fetch(redirect, { redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
  await res.arrayBuffer();
}
