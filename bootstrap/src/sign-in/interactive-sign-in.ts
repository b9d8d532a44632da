import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { CryptoProvider, type AuthenticationResult, type ConfidentialClientApplication } from "@azure/msal-node";
import { AuthorizationResponseCollector } from "./authorization-response";
import { onTerminationSignal } from "../core/cancellation";
import { explainEntraError } from "../entra/entra-errors";
import type { UsedCredential } from "../entra/credential-errors";
import { catalogError } from "../core/error-catalogue";
import { LoopbackRedirectServer, signInTimeout } from "./loopback-redirect-server";
import { refreshTokenFromCache } from "../entra/msal-app";
import type { InteractiveProgress } from "../core/progress";
import { browserUnavailableReason, processBrowserEnvironment, type BrowserEnvironment } from "./browser-environment";

/** Options for {@link signInInteractively}. */
export interface InteractiveSignInOptions {
  app: ConfidentialClientApplication;
  clientId: string;
  scopes: string[];
  /** The redirect URI registered on the app (the stack's redirectUri output). */
  registeredRedirectUri: string;
  /** `--login-hint`: pre-fills the account (sent as `login_hint`, with `prompt=login`). */
  loginHint?: string;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** `--no-browser`: print the URL and accept a pasted redirect address. */
  noBrowser: boolean;
  /** Opens the system browser; rejects when it cannot (the sign-in then takes a pasted address). */
  openBrowser: (url: string) => Promise<unknown>;
  /** Where the command runs, to tell whether a browser can open at all (default: this process's environment and platform). */
  environment?: BrowserEnvironment;
  /** Where pasted redirect addresses come from (stdin). */
  input: NodeJS.ReadableStream;
  /** Progress, prompts, and the values to keep off screen. */
  reporter: InteractiveProgress;
  /** For AADSTS65001. */
  adminConsentUrl?: string;
  /** The app credential the code redemption authenticates with, for the messages about it. */
  credential?: UsedCredential;
}

/** What the sign-in produced. The refresh token comes from MSAL's cache. */
export interface SignInResult {
  result: AuthenticationResult;
  refreshToken: string;
  redirectUri: string;
}

/**
 * Authorization code flow with PKCE and a random state: listens on loopback
 * (or takes a pasted address), opens the browser, redeems the code.
 */
export async function signInInteractively(options: InteractiveSignInOptions): Promise<SignInResult> {
  const { app, reporter } = options;
  const registered = new URL(options.registeredRedirectUri);
  const loopback = registered.protocol === "http:" && registered.hostname === "localhost";
  const server = loopback
    ? await LoopbackRedirectServer.start({ preferredPort: Number(registered.port || 80), path: registered.pathname })
    : undefined;
  if (server && String(server.port) !== (registered.port || "80")) {
    reporter.note(`Port ${registered.port || 80} is busy; listening on ${server.port} instead (Entra ID accepts any port for http://localhost).`);
  }
  // Exactly the URI bound (its port is the one listened on), else the registered https one.
  const redirectUri = server?.redirectUri ?? options.registeredRedirectUri;
  const state = randomBytes(24).toString("base64url");
  const collector = new AuthorizationResponseCollector(state);
  server?.serve(collector);
  // Ctrl-C or SIGTERM while waiting: stop waiting (and redeeming), close the listener below, write nothing.
  let cancel!: (error: Error) => void;
  const cancelled = new Promise<never>((_resolve, reject) => (cancel = reject));
  cancelled.catch(() => undefined);
  const stopWatchingSignals = onTerminationSignal((signal) => {
    const error = catalogError("cancelled", {
      message: `Sign-in cancelled (${signal}): the sign-in listener was closed and nothing was stored.`,
      signal,
      hint: "Run `partner-center-sam bootstrap` again when you are ready to sign in.",
    });
    collector.abort(error);
    cancel(error);
  });
  // No browser can open here (SSH, no display): behave as --no-browser at once instead of waiting for nothing.
  const unavailable = options.noBrowser || !loopback ? undefined : browserUnavailableReason(options.environment ?? processBrowserEnvironment());
  let readline: ReturnType<typeof createInterface> | undefined;
  let finished = false;
  const acceptPastedAddresses = () => {
    if (readline || finished) return;
    readline = createInterface({ input: options.input, terminal: false });
    readline.on("line", (line) => {
      if (!line.trim()) return;
      const problem = collector.acceptPastedUrl(line);
      if (problem) reporter.warn(problem);
    });
  };
  const timer = setTimeout(() => collector.abort(signInTimeout(Math.round(options.timeoutMs / 1000))), options.timeoutMs);
  let endWait: (() => void) | undefined;
  try {
    const pkce = await new CryptoProvider().generatePkceCodes();
    const authUrl = await Promise.race([
      app.getAuthCodeUrl({
        scopes: options.scopes,
        redirectUri,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: "S256",
        state,
        // msal-common drops account hints with prompt=select_account ("Prompt is select_account, ignoring account
        // hints"), so a --login-hint goes with prompt=login: Entra ID pre-fills login_hint and asks for the
        // credentials again rather than reusing a session (https://learn.microsoft.com/entra/identity-platform/msal-js-prompt-behavior).
        prompt: options.loginHint ? "login" : "select_account",
        loginHint: options.loginHint,
        responseMode: "query",
      }),
      cancelled,
    ]).catch((error: unknown) => {
      throw explainEntraError(error, { phase: "sign-in", redirectUri });
    });

    const pasteHere = loopback
      ? `If that browser runs on another machine, the final page will not load: copy the address it was redirected to (http://localhost:${server!.port}/?code=…) and paste it here, then press Enter.`
      : "After signing in, copy the address the browser was redirected to and paste it here, then press Enter.";
    if (options.noBrowser || !loopback || unavailable) {
      if (unavailable) reporter.warn(`No browser can open on this machine: ${unavailable}. Sign in from any browser with the address below.`);
      reporter.prompt(`\nOpen this address in a browser and sign in with an account that has MFA:\n\n  ${authUrl}\n`);
      reporter.prompt(pasteHere);
      acceptPastedAddresses();
    } else {
      reporter.step("Opening the browser for sign-in (complete MFA when asked).");
      reporter.prompt(`  If the browser does not open, go to:\n\n  ${authUrl}\n`);
      // Not awaited: an opener that fails (now or after a while) switches to the pasted address while the wait goes on.
      void options.openBrowser(authUrl).catch((error: unknown) => {
        if (finished) return;
        reporter.warn(`Could not open a browser (${error instanceof Error ? error.message : String(error)}): open the address above in any browser.`);
        reporter.prompt(pasteHere);
        acceptPastedAddresses();
      });
    }
    const waiting = `Waiting for the sign-in to finish (times out after ${Math.round(options.timeoutMs / 1000)} s)...`;
    endWait = reporter.wait ? reporter.wait(waiting, options.timeoutMs) : (reporter.step(waiting), undefined);

    const { code } = await collector.response
      .catch((error: unknown) => {
        throw explainEntraError(error, { phase: "sign-in", redirectUri, adminConsentUrl: options.adminConsentUrl });
      })
      .finally(() => endWait?.());
    reporter.protect(code);
    reporter.step("Redeeming the authorization code.");
    const result = await Promise.race([app.acquireTokenByCode({ code, scopes: options.scopes, redirectUri, codeVerifier: pkce.verifier }), cancelled]).catch(
      (error: unknown) => {
        throw explainEntraError(error, { phase: "sign-in", redirectUri, adminConsentUrl: options.adminConsentUrl, secrets: [code, pkce.verifier], credential: options.credential });
      },
    );
    reporter.protect(result.accessToken, result.idToken);
    const refreshToken = result.account ? refreshTokenFromCache(app, result.account.homeAccountId, options.clientId) : undefined;
    if (!refreshToken) {
      throw catalogError("no_refresh_token", {
        message: "Entra ID returned no refresh token for this sign-in.",
        hint: "Make sure the app requests offline_access (run `pulumi up`) and that no policy blocks refresh tokens, then run `partner-center-sam bootstrap` again.",
      });
    }
    reporter.protect(refreshToken);
    return { result, refreshToken, redirectUri };
  } finally {
    finished = true;
    endWait?.();
    stopWatchingSignals();
    clearTimeout(timer);
    (readline as ReturnType<typeof createInterface> | undefined)?.close();
    await server?.close();
  }
}
