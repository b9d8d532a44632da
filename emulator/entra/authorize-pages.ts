/**
 * The authorize endpoint and its sign-in pages (login, MFA, consent) with their
 * sessions and HTML, ending in the redirect with a code or an error; plus a
 * browser-like driver of those pages for tests.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { escapeHtml, randomToken, readForm, redirect, sendHtml } from "../http";
import { appKnownIn, checkScopes, findUser, recordConsent } from "./directory";
import {
  CODE_LIFETIME_SECONDS,
  OIDC_SCOPES,
  SESSION_LIFETIME_SECONDS,
  amrOf,
  clientInfo,
  nowMs,
  safeEqual,
  splitScopes,
  type AuthSession,
  type EntraState,
} from "./state";
import type { SignInOptions } from "./types";

export function handleAuthorize(s: EntraState, res: http.ServerResponse, tenantId: string, q: URLSearchParams, tenantPath: string = tenantId): void {
  const clientId = q.get("client_id");
  if (!clientId) return errorPage(res, "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
  const app = s.apps.get(clientId.toLowerCase());
  if (!app || !appKnownIn(s, app, tenantId)) {
    return errorPage(res, `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  const redirectUri = q.get("redirect_uri");
  if (!redirectUri) return errorPage(res, "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.");
  if (!app.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
    return errorPage(res, `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`);
  }
  const state = q.get("state") ?? undefined;
  const responseMode = q.get("response_mode") ?? "query";
  const back = (error: string, description: string, extra: Record<string, string> = {}): void =>
    redirect(res, withParams(redirectUri, { error, error_description: description, ...extra, ...(state !== undefined ? { state } : {}) }));
  const fault = s.authorizeFaults.shift();
  if (fault) return back(fault.error, fault.description);
  if (responseMode !== "query" && responseMode !== "form_post") {
    return back("invalid_request", `AADSTS90008: The response_mode '${responseMode}' is not supported for response_type 'code'; use 'query' or 'form_post'.`);
  }
  if (q.get("response_type") !== "code") {
    return back("unsupported_response_type", `AADSTS700054: response_type '${q.get("response_type") ?? ""}' is not enabled for the application.`);
  }
  const scopes = splitScopes(q.get("scope"));
  if (!scopes.length) return back("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.");
  const scopeError = checkScopes(s, tenantId, scopes.filter((s) => !OIDC_SCOPES.has(s)));
  if (scopeError) return back(scopeError.error, scopeError.message);
  const challenge = q.get("code_challenge");
  if (!challenge || q.get("code_challenge_method") !== "S256") {
    return back("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.");
  }
  if (!/^[A-Za-z0-9\-_]{43}$/.test(challenge)) {
    return back("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.");
  }
  if (q.get("prompt") === "none") {
    return back("login_required", "AADSTS50058: A silent sign-in request was sent but no user is signed in.");
  }
  const session: AuthSession = {
    id: randomToken(24),
    tenantId,
    app,
    redirectUri,
    state,
    nonce: q.get("nonce") ?? undefined,
    scopes,
    codeChallenge: challenge,
    responseMode,
    loginHint: q.get("login_hint") ?? undefined,
    clientInfo: q.get("client_info") === "1",
    step: "login",
    expiresAt: nowMs(s) + SESSION_LIFETIME_SECONDS * 1000,
    authorizeUrl: `${s.settings.signInPagesUrl}/${encodeURIComponent(tenantPath)}/oauth2/v2.0/authorize?${q.toString()}`,
  };
  s.sessions.set(session.id, session);
  sendHtml(res, 200, loginPage(session));
}

export async function openSession(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, tenantId: string, step: AuthSession["step"]): Promise<{ session: AuthSession; form: URLSearchParams } | undefined> {
  const form = await readForm(req);
  const session = s.sessions.get(form.get("ctx") ?? "");
  if (!session || session.tenantId !== tenantId || session.step !== step || session.expiresAt < nowMs(s)) {
    errorPage(res, "AADSTS50089: The sign-in session has expired or is not valid. Start the sign-in again from the application.");
    return undefined;
  }
  return { session, form };
}

export async function handleLogin(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
  const found = await openSession(s, req, res, tenantId, "login");
  if (!found) return;
  const { session, form } = found;
  const username = (form.get("login") ?? "").trim();
  const user = findUser(s, tenantId, username);
  if (!user) {
    return sendHtml(res, 200, loginPage(session, `AADSTS50034: The user account ${username} does not exist in the ${tenantId} directory. To sign into this application, the account must be added to the directory.`));
  }
  if (!safeEqual(form.get("passwd") ?? "", user.password)) {
    return sendHtml(res, 200, loginPage(session, "AADSTS50126: Error validating credentials due to invalid username or password."));
  }
  session.user = user;
  session.step = user.mfa ? "mfa" : "consent";
  sendHtml(res, 200, user.mfa ? mfaPage(session) : consentPage(session));
}

export async function handleMfa(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
  const found = await openSession(s, req, res, tenantId, "mfa");
  if (!found) return;
  const { session, form } = found;
  if (!session.user || !safeEqual((form.get("otc") ?? "").trim(), session.user.mfaCode)) {
    return sendHtml(res, 200, mfaPage(session, "You didn't enter the expected verification code. Please try again."));
  }
  session.step = "consent";
  sendHtml(res, 200, consentPage(session));
}

export async function handleConsent(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
  const found = await openSession(s, req, res, tenantId, "consent");
  if (!found) return;
  const { session, form } = found;
  const user = session.user;
  if (!user) return errorPage(res, "AADSTS50089: The sign-in session is not valid.");
  session.step = "done";
  s.sessions.delete(session.id);
  const state: Record<string, string> = session.state !== undefined ? { state: session.state } : {};
  let params: Record<string, string>;
  if (form.get("action") === "accept") {
    recordConsent(s, session.app, user, session.scopes.filter((s) => !OIDC_SCOPES.has(s)));
    const code = `1.A${randomToken(72)}`;
    s.issued.push(code);
    const now = nowMs(s);
    s.codes.set(code, {
      tenantId,
      clientId: session.app.clientId,
      redirectUri: session.redirectUri,
      codeChallenge: session.codeChallenge,
      scopes: session.scopes,
      nonce: session.nonce,
      user,
      amr: amrOf(user),
      authTime: Math.floor(now / 1000),
      expiresAt: now + CODE_LIFETIME_SECONDS * 1000,
      redeemed: false,
    });
    params = {
      code,
      ...(session.clientInfo ? { client_info: clientInfo(user) } : {}),
      ...state,
      session_state: randomUUID(),
    };
  } else {
    params = {
      error: "access_denied",
      error_subcode: "cancel",
      error_description: "AADSTS65004: User declined to consent to access the app.",
      ...state,
    };
  }
  if (session.responseMode === "form_post") {
    const inputs = Object.entries(params)
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join("");
    return sendHtml(res, 200, page("Working…", `<form id="response" method="post" action="${escapeHtml(session.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>document.getElementById("response").submit()</script>`));
  }
  redirect(res, withParams(session.redirectUri, params));
}

/**
 * The authorize URL of the newest sign-in whose pages were opened and not
 * finished, if any. With `take`, the sessions opened by that URL are closed, as
 * the sign-in is now finished elsewhere (a stale one is never handed out twice).
 */
export function pendingSignInUrl(s: EntraState, take = false): string | undefined {
  const now = nowMs(s);
  const open = [...s.sessions.values()].filter((session) => session.step !== "done" && session.expiresAt > now);
  const url = open.at(-1)?.authorizeUrl;
  if (take && url) for (const session of open) if (session.authorizeUrl === url) s.sessions.delete(session.id);
  return url;
}

export function errorPage(res: http.ServerResponse, message: string): void {
  sendHtml(res, 400, page("Sign in", `<p>Sorry, but we're having trouble signing you in.</p><p id="message">${escapeHtml(message)}</p>`));
}

export function loginPage(session: AuthSession, error?: string): string {
  return page(
    "Sign in",
    `${errorLine(error)}<form method="post" action="/${session.tenantId}/login">
<input type="hidden" name="ctx" value="${session.id}">
<label for="username">Email, phone, or Skype</label>
<input id="username" name="login" type="email" autocomplete="username" value="${escapeHtml(session.loginHint ?? "")}">
<label for="password">Password</label>
<input id="password" name="passwd" type="password" autocomplete="current-password">
<button id="next" type="submit">Sign in</button>
</form>`,
  );
}

export function mfaPage(session: AuthSession, error?: string): string {
  return page(
    "Enter code",
    `<p class="identity" id="identity">${escapeHtml(session.user?.username ?? "")}</p>${errorLine(error)}<p>Enter the code displayed in your authenticator app.</p>
<form method="post" action="/${session.tenantId}/mfa">
<input type="hidden" name="ctx" value="${session.id}">
<input id="otc" name="otc" type="tel" inputmode="numeric" autocomplete="one-time-code">
<button id="verify" type="submit">Verify</button>
</form>`,
  );
}

export function consentPage(session: AuthSession): string {
  const items = session.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("");
  return page(
    "Permissions requested",
    `<p class="identity">${escapeHtml(session.user?.username ?? "")}</p><p>${escapeHtml(session.app.displayName)} needs permission to:</p><ul>${items}</ul>
<form method="post" action="/${session.tenantId}/consent">
<input type="hidden" name="ctx" value="${session.id}">
<button id="accept" name="action" value="accept" type="submit">Accept</button>
<button id="deny" name="action" value="deny" type="submit">Cancel</button>
</form>`,
  );
}

/** A plain imitation of Microsoft's sign-in look: a white card on a light page, Segoe-like type, a blue primary button. */
const STYLE = `body{margin:0;min-height:100vh;background:#f2f2f2;font-family:"Segoe UI","Helvetica Neue",Arial,sans-serif;color:#1b1b1b;display:flex;flex-direction:column;align-items:center;justify-content:center}
main{background:#fff;width:min(440px,92vw);box-sizing:border-box;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-size:15px;font-weight:600;color:#5e5e5e;margin:0 0 16px}
h1{font-size:24px;font-weight:600;margin:0 0 12px}
.identity{margin:0 0 12px;font-size:15px}
label{display:block;font-size:13px;margin-top:12px;color:#5e5e5e}
input[type=email],input[type=password],input[type=tel]{display:block;width:100%;box-sizing:border-box;border:0;border-bottom:1px solid #666;padding:6px 0;font-size:15px;outline:none}
input:focus{border-bottom-color:#0067b8}
button{margin-top:24px;min-width:108px;padding:6px 12px;font-size:15px;border:0;background:#0067b8;color:#fff;cursor:pointer}
button#deny{background:#ccc;color:#1b1b1b;margin-left:8px}
#error,#message{color:#e81123}
ul{padding-left:20px}
footer{margin-top:16px;font-size:12px;color:#5e5e5e}`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main><p class="brand">partner-center-sam emulator</p><h1>${escapeHtml(title)}</h1>${body}</main><footer>An emulator of Microsoft Entra ID for trying and testing partner-center-sam. Not Microsoft's sign-in: never type a real password here.</footer></body></html>`;
}

export function errorLine(error?: string): string {
  return error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : "";
}

/** Entra's redirect-URI match: exact, except that the port of an http loopback URI is ignored. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  const loopback = (u: URL): boolean => u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  return loopback(a) && loopback(b) && a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search && !b.hash;
}

export function withParams(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** How long one page of the sign-in may take to answer the driver below. */
const PAGE_TIMEOUT_MS = 10_000;

/**
 * Drives the sign-in pages like a browser would (plain fetch, manual
 * redirects) and resolves with the URL Entra redirects back to — the
 * redirect URI with `code`/`error` and `state`. Throws with the page's
 * error text when a page shows one. Only `response_mode=query`.
 */
export async function signIn(s: EntraState, authorizeUrl: string, options: SignInOptions): Promise<URL> {
  const first = await fetch(authorizeUrl, { redirect: "manual", signal: AbortSignal.timeout(PAGE_TIMEOUT_MS) });
  const done = (res: Response): URL | undefined => {
    const location = res.headers.get("location");
    return res.status === 302 && location ? new URL(location) : undefined;
  };
  let res = first;
  for (let step = 0; step < 4; step++) {
    const finished = done(res);
    if (finished) return finished;
    const html = await res.text();
    const pageError = /id="error"[^>]*>([^<]*)</.exec(html)?.[1];
    if (res.status !== 200 || (pageError && step > 0)) {
      throw new Error(`sign-in page error: ${pageError ?? /id="message"[^>]*>([^<]*)</.exec(html)?.[1] ?? res.status}`);
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const ctx = /name="ctx" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !ctx) throw new Error("sign-in page has no form");
    const form = new URLSearchParams({ ctx });
    if (html.includes('id="password"')) {
      form.set("login", options.username);
      form.set("passwd", options.password);
    } else if (html.includes('id="otc"')) {
      const tenant = new URL(authorizeUrl).pathname.split("/")[1];
      form.set("otc", options.mfaCode ?? findUser(s, tenant, options.username)?.mfaCode ?? "");
    } else if (html.includes('id="accept"')) {
      form.set("action", options.consent ?? "accept");
    } else {
      throw new Error("unexpected sign-in page");
    }
    res = await fetch(new URL(action.replace(/&amp;/g, "&"), authorizeUrl), {
      method: "POST",
      body: form,
      redirect: "manual",
      signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
    });
  }
  throw new Error("sign-in did not finish");
}
