/**
 * Self-tests of the stand-ins: they must be at least as strict as Entra ID,
 * Key Vault and Partner Center where the product depends on them, and the real
 * SDKs (msal-node, @azure/identity, @azure/keyvault-secrets) must accept them.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SECRET_NAMES } from "../bootstrap/src/core/contract";
import { decodeJwt } from "../emulator/jwt";
import { loopbackOnly } from "./support/loopback-only";
import { MFA_REQUIRED_CODE } from "../emulator/partner-center";
import { startStandIns, type StandIns, type StandInUser } from "./support/stand-ins";

let s: StandIns;

beforeAll(async () => {
  s = await startStandIns({ nonMfaUser: true, appCredential: "secret" }); // checks the client-secret answers too
});

afterAll(async () => {
  await s?.stop();
});

// ------------------------------------------------------------------ helpers

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(`${s.entra.url}/${s.tenantId}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

interface CodeGrant {
  code: string;
  verifier: string;
  redirectUri: string;
}

/** Signs `user` in through the pages and returns the code, verifier and redirect URI used. */
async function codeFor(user: StandInUser, scope = `${s.outputs.scopes[0]} openid profile offline_access`): Promise<CodeGrant> {
  const { verifier, challenge } = pkce();
  const redirectUri = "http://localhost:8765/";
  const back = await s.entra.signIn(
    authorizeUrl({
      client_id: s.clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope,
      state: "st-1",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }),
    { username: user.username, password: user.password },
  );
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code in redirect: ${back.searchParams.get("error_description")}`);
  return { code, verifier, redirectUri };
}

interface TokenResult {
  status: number;
  body: Record<string, unknown>;
}

async function tokenRequest(params: Record<string, string>): Promise<TokenResult> {
  const res = await fetch(`${s.entra.url}/${s.tenantId}/oauth2/v2.0/token`, { method: "POST", body: new URLSearchParams(params) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function redeemCode(grant: CodeGrant, overrides: Record<string, string> = {}): Promise<TokenResult> {
  return tokenRequest({
    grant_type: "authorization_code",
    client_id: s.clientId,
    client_secret: s.clientSecret!,
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.verifier,
    scope: `${s.outputs.scopes[0]} openid profile offline_access`,
    ...overrides,
  });
}

function redeemRefreshToken(refreshToken: string, overrides: Record<string, string> = {}): Promise<TokenResult> {
  return tokenRequest({
    grant_type: "refresh_token",
    client_id: s.clientId,
    client_secret: s.clientSecret!,
    refresh_token: refreshToken,
    scope: `${s.outputs.scopes[0]} openid profile offline_access`,
    ...overrides,
  });
}

function expectEntraError(result: TokenResult, status: number, error: string, code: number): void {
  expect(result.status).toBe(status);
  expect(result.body.error).toBe(error);
  expect(result.body.error_codes).toEqual([code]);
  expect(String(result.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: .+\\r\\nCorrelation ID: .+\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
  expect(result.body).toHaveProperty("trace_id");
  expect(result.body).toHaveProperty("correlation_id");
  expect(result.body).toHaveProperty("timestamp");
  expect(String(result.body.error_uri)).toMatch(new RegExp(`/error\\?code=${code}$`));
}

/** The Conditional Access challenge Entra attaches to MFA / CA errors: a JSON string naming policy ids. */
function expectClaimsChallenge(body: Record<string, unknown>): void {
  expect(typeof body.claims).toBe("string");
  expect(JSON.parse(String(body.claims))).toEqual({ access_token: { capolids: { essential: true, values: [s.entra.conditionalAccessPolicyId] } } });
}

function freshRefreshToken(user: StandInUser = s.users.admin): string {
  return s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: user.username, scopes: s.outputs.scopes });
}

/** Runs `fn` with managed-identity variables in process.env (as a CLI would see them), then restores it. */
async function withManagedIdentityEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) delete process.env[k];
  Object.assign(process.env, s.entra.managedIdentityEnv());
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function claimsOf(token: unknown): Record<string, unknown> {
  return decodeJwt(String(token)).payload;
}

// -------------------------------------------------------------------- Entra

describe("Entra stand-in", () => {
  it("is accepted by msal-node: code with PKCE, then refresh with forceCache returns a new refresh token and leaves the used one valid", async () => {
    const authority = `${s.entra.url}/${s.tenantId}`;
    const config = { auth: { clientId: s.clientId, authority, clientSecret: s.clientSecret, knownAuthorities: [new URL(s.entra.url).host] } };
    const cca = new ConfidentialClientApplication(config);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = "http://localhost:8401/";
    const url = await cca.getAuthCodeUrl({
      scopes: s.outputs.scopes,
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      state: "msal-state",
      prompt: "select_account",
      loginHint: s.users.admin.username,
    });
    expect(url.startsWith(`${authority}/oauth2/v2.0/authorize?`)).toBe(true);
    const back = await s.entra.signIn(url, { username: s.users.admin.username, password: s.users.admin.password });
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get("state")).toBe("msal-state");

    const result = await cca.acquireTokenByCode({ code: back.searchParams.get("code") as string, scopes: s.outputs.scopes, redirectUri, codeVerifier: verifier });
    expect(result.account?.username).toBe(s.users.admin.username);
    expect(result.account?.tenantId).toBe(s.tenantId);
    const claims = claimsOf(result.accessToken);
    expect(claims).toMatchObject({ aud: s.partnerCenter.resource, tid: s.tenantId, upn: s.users.admin.username, scp: "user_impersonation", amr: ["pwd", "mfa"], ver: "1.0" });
    const refreshTokenIn = (c: ConfidentialClientApplication): string => {
      const cache = JSON.parse(c.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
      const entries = Object.values(cache.RefreshToken);
      expect(entries).toHaveLength(1);
      return entries[0].secret;
    };
    const first = refreshTokenIn(cca);
    expect(s.entra.isRefreshTokenValid(first)).toBe(true);

    const later = new ConfidentialClientApplication(config);
    const refreshed = await later.acquireTokenByRefreshToken({ refreshToken: first, scopes: s.outputs.scopes, forceCache: true });
    expect(claimsOf(refreshed?.accessToken).amr).toEqual(["pwd", "mfa"]);
    const second = refreshTokenIn(later);
    expect(second).not.toBe(first);
    expect(s.entra.isRefreshTokenValid(second)).toBe(true);
    expect(s.entra.refreshTokenUses(first)).toBe(1);
    expect(s.entra.isRefreshTokenValid(first)).toBe(true);
    expect(s.entra.newestRefreshToken(s.clientId, s.users.admin.username)).toBe(second);
  });

  it("publishes OpenID metadata and signing keys for each tenant, and rejects unknown tenants with AADSTS90002", async () => {
    const meta = (await (await fetch(`${s.entra.url}/${s.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(meta.issuer).toBe(`${s.entra.url}/${s.tenantId}/v2.0`);
    expect(meta.token_endpoint).toBe(`${s.entra.url}/${s.tenantId}/oauth2/v2.0/token`);
    const keys = (await (await fetch(meta.jwks_uri)).json()) as { keys: { kid: string }[] };
    expect(keys.keys[0].kid).toBeTruthy();
    const legacy = await fetch(`${s.entra.url}/${s.tenantId}/discovery/keys`);
    expect(legacy.status).toBe(200);
    const res = await fetch(`${s.entra.url}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token`, { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials" }) });
    expectEntraError({ status: res.status, body: (await res.json()) as Record<string, unknown> }, 400, "invalid_tenant", 90002);
  });

  it("rejects a code redeemed with a verifier that does not match the PKCE challenge (AADSTS501481)", async () => {
    const grant = await codeFor(s.users.admin);
    expectEntraError(await redeemCode(grant, { code_verifier: pkce().verifier }), 400, "invalid_grant", 501481);
    expectEntraError(await redeemCode(grant, { code_verifier: "" }), 400, "invalid_grant", 501481);
    expect((await redeemCode(grant)).status).toBe(200);
  });

  it("accepts an authorization code only once (AADSTS54005)", async () => {
    const grant = await codeFor(s.users.admin);
    const first = await redeemCode(grant);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "Bearer", scope: s.outputs.scopes[0] });
    expect(first.body.refresh_token).toBeTruthy();
    expect(claimsOf(first.body.id_token)).toMatchObject({ aud: s.clientId, iss: `${s.entra.url}/${s.tenantId}/v2.0`, preferred_username: s.users.admin.username, ver: "2.0" });
    expectEntraError(await redeemCode(grant), 400, "invalid_grant", 54005);
  });

  it("expires authorization codes after ten minutes (AADSTS70008)", async () => {
    const grant = await codeFor(s.users.admin);
    s.entra.advanceClock(601);
    try {
      expectEntraError(await redeemCode(grant), 400, "invalid_grant", 70008);
    } finally {
      s.entra.advanceClock(-601);
    }
  });

  it("requires the token request's redirect_uri to equal the authorize request's exactly", async () => {
    const grant = await codeFor(s.users.admin);
    expectEntraError(await redeemCode(grant, { redirect_uri: "http://localhost:8400/" }), 400, "invalid_grant", 500112);
    expect((await redeemCode(grant)).status).toBe(200);
  });

  it("answers a wrong, missing or unknown client credential in Entra's error shape", async () => {
    const grant = await codeFor(s.users.admin);
    expectEntraError(await redeemCode(grant, { client_secret: "not-the-secret" }), 401, "invalid_client", 7000215);
    expectEntraError(await redeemCode(grant, { client_secret: "" }), 401, "invalid_client", 7000218);
    expectEntraError(await redeemCode(grant, { client_id: "11111111-1111-1111-1111-111111111111" }), 400, "unauthorized_client", 700016);
    expect((await redeemCode(grant)).status).toBe(200);
  });

  it("stops accepting the old client secret once it is replaced", async () => {
    const rt = freshRefreshToken();
    s.entra.setClientSecret(s.clientId, "rotated-secret-value");
    try {
      expectEntraError(await redeemRefreshToken(rt), 401, "invalid_client", 7000215);
      expect((await redeemRefreshToken(rt, { client_secret: "rotated-secret-value" })).status).toBe(200);
    } finally {
      s.entra.setClientSecret(s.clientId, s.clientSecret!);
    }
  });

  it("returns a new refresh token on every redemption and, like Entra, keeps the used one valid", async () => {
    const grant = await codeFor(s.users.admin);
    const old = String((await redeemCode(grant)).body.refresh_token);
    const rotated = await redeemRefreshToken(old);
    expect(rotated.status).toBe(200);
    const next = String(rotated.body.refresh_token);
    expect(next).not.toBe(old);
    expect(claimsOf(rotated.body.access_token).amr).toEqual(["pwd", "mfa"]);
    const again = await redeemRefreshToken(old);
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBeTruthy();
    expect(s.entra.isRefreshTokenValid(old)).toBe(true);
    expect(s.entra.refreshTokenUses(old)).toBe(2);
    expect((await redeemRefreshToken(next)).status).toBe(200);
    expect(s.entra.newestRefreshToken(s.clientId, s.users.admin.username)).not.toBe(next);
  });

  it("refuses a used refresh token only in its single-use mode, which is stricter than Entra", async () => {
    const old = freshRefreshToken();
    s.entra.singleUseRefreshTokens = true;
    try {
      const first = await redeemRefreshToken(old);
      expect(first.status).toBe(200);
      expectEntraError(await redeemRefreshToken(old), 400, "invalid_grant", 70000);
      expect(s.entra.isRefreshTokenValid(old)).toBe(false);
      expect((await redeemRefreshToken(String(first.body.refresh_token))).status).toBe(200);
    } finally {
      s.entra.singleUseRefreshTokens = false;
    }
    expect(s.entra.isRefreshTokenValid(old)).toBe(true);
  });

  it("answers an expired client secret with 401 invalid_client AADSTS7000222 and accepts the replacement secret", async () => {
    const rt = freshRefreshToken();
    s.entra.expireClientSecret(s.clientId);
    try {
      const expired = await redeemRefreshToken(rt);
      expectEntraError(expired, 401, "invalid_client", 7000222);
      expect(String(expired.body.error_description)).toContain("client secret keys for app");
      expectEntraError(await redeemRefreshToken(rt, { client_secret: "not-the-secret" }), 401, "invalid_client", 7000215);
      s.entra.setClientSecret(s.clientId, s.clientSecret!);
      s.entra.expireClientSecret(s.clientId, "replacement-secret");
      expectEntraError(await redeemRefreshToken(rt), 401, "invalid_client", 7000222);
      expect((await redeemRefreshToken(rt, { client_secret: "replacement-secret" })).status).toBe(200);
    } finally {
      s.entra.setClientSecret(s.clientId, s.clientSecret!);
    }
    expect((await redeemRefreshToken(rt)).status).toBe(200);
  });

  it("leaves refresh_token out of one answer only when a test asks for it", async () => {
    const rt = freshRefreshToken();
    s.entra.omitNextRefreshToken();
    const without = await redeemRefreshToken(rt);
    expect(without.status).toBe(200);
    expect(without.body.access_token).toBeTruthy();
    expect(without.body).not.toHaveProperty("refresh_token");
    expect((await redeemRefreshToken(rt)).body.refresh_token).toBeTruthy();
  });

  it("attaches Entra's suberror and Conditional Access claims challenge to injected MFA and policy errors", async () => {
    const rt = freshRefreshToken();
    s.entra.failNextToken({ error: "invalid_grant", code: 50076, description: "Due to a configuration change made by your administrator, you must use multi-factor authentication." });
    const mfa = await redeemRefreshToken(rt);
    expectEntraError(mfa, 400, "invalid_grant", 50076);
    expect(mfa.body.suberror).toBe("basic_action");
    expectClaimsChallenge(mfa.body);
    s.entra.failNextToken({ error: "invalid_grant", code: 53003, description: "Access has been blocked by Conditional Access policies.", claims: false });
    const blocked = await redeemRefreshToken(rt);
    expect(blocked.body.suberror).toBe("message_only");
    expect(blocked.body).not.toHaveProperty("claims");
    s.entra.failNextToken({ error: "temporarily_unavailable", code: 50196, status: 503, description: "The server terminated an operation because it encountered a loop." });
    const busy = await redeemRefreshToken(rt);
    expectEntraError(busy, 503, "temporarily_unavailable", 50196);
    expect(busy.body).not.toHaveProperty("claims");
    expect(busy.body).not.toHaveProperty("suberror");
  });

  it("does not let another client redeem a user's refresh token, answering AADSTS700007 as Entra does", async () => {
    const otherClient = "22222222-2222-2222-2222-222222222222";
    s.entra.registerApp({ tenantId: s.tenantId, clientId: otherClient, clientSecret: "other-secret", redirectUris: ["http://localhost:9000/"] });
    const rt = freshRefreshToken();
    const answer = await redeemRefreshToken(rt, { client_id: otherClient, client_secret: "other-secret" });
    expectEntraError(answer, 400, "invalid_grant", 700007);
    expect(String(answer.body.error_description)).toMatch(/^AADSTS700007: The grant was issued for a different client id\./);
    expect(s.entra.isRefreshTokenValid(rt)).toBe(true);
  });

  it("refuses, with AADSTS50020, a refresh token of another tenant's user redeemed at the app's own tenant", async () => {
    const customer = "33333333-3333-3333-3333-333333333333";
    s.entra.addTenant(customer, { displayName: "Fabrikam" });
    s.entra.setMultiTenant(s.clientId, true);
    s.entra.consentAppInTenant(customer, s.clientId, ["https://graph.microsoft.com/.default"]);
    s.entra.addUser({ tenantId: customer, username: "admin@fabrikam.example", password: "pw-fabrikam", mfa: true });
    const rt = s.entra.issueRefreshToken({ tenantId: customer, clientId: s.clientId, username: "admin@fabrikam.example", scopes: ["https://graph.microsoft.com/.default"] });
    const answer = await redeemRefreshToken(rt);
    expectEntraError(answer, 400, "invalid_grant", 50020);
    expect(String(answer.body.error_description)).toContain(`identity provider 'https://sts.windows.net/${customer}/'`);
  });

  it("fails existing refresh tokens with each code given to invalidateRefreshTokens, and only those", async () => {
    const suberrors: Record<number, string | undefined> = { 70043: "token_expired", 50076: "basic_action", 50078: "basic_action", 50079: "basic_action", 53003: "message_only" };
    for (const code of [700082, 70008, 70043, 50173, 50076, 50078, 50079, 53003]) {
      const doomed = freshRefreshToken();
      expect(s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code })).toBeGreaterThan(0);
      const result = await redeemRefreshToken(doomed);
      expectEntraError(result, 400, "invalid_grant", code);
      expect(result.body.suberror).toBe(suberrors[code]);
      if ([50076, 50079, 53003].includes(code)) expectClaimsChallenge(result.body);
      else expect(result.body).not.toHaveProperty("claims");
      expect(s.entra.isRefreshTokenValid(doomed)).toBe(false);
      expect((await redeemRefreshToken(freshRefreshToken())).status).toBe(200);
    }
    const custom = freshRefreshToken();
    s.entra.invalidateRefreshTokens({ code: 50199, error: "interaction_required", description: "Custom reason." });
    const result = await redeemRefreshToken(custom);
    expectEntraError(result, 400, "interaction_required", 50199);
    expect(String(result.body.error_description)).toMatch(/^AADSTS50199: Custom reason\./);
  });

  it("shows an AADSTS50011 error page naming the URI, without redirecting, for an unregistered redirect URI", async () => {
    const bad = "https://evil.example/callback";
    const res = await fetch(authorizeUrl({ client_id: s.clientId, response_type: "code", redirect_uri: bad, scope: s.outputs.scopes[0], code_challenge: pkce().challenge, code_challenge_method: "S256" }), { redirect: "manual" });
    expect(res.headers.get("location")).toBeNull();
    const html = await res.text();
    expect(html).toContain("AADSTS50011");
    expect(html).toContain(bad);
    const unknown = await fetch(authorizeUrl({ client_id: "33333333-3333-3333-3333-333333333333", response_type: "code", redirect_uri: "http://localhost:8400/" }), { redirect: "manual" });
    expect(await unknown.text()).toContain("AADSTS700016");
  });

  it("ignores only the port of a registered http://localhost redirect URI", async () => {
    const base = { client_id: s.clientId, response_type: "code", scope: s.outputs.scopes[0], code_challenge: pkce().challenge, code_challenge_method: "S256" };
    const otherPort = await fetch(authorizeUrl({ ...base, redirect_uri: "http://localhost:53123/" }), { redirect: "manual" });
    expect(otherPort.status).toBe(200);
    expect(await otherPort.text()).toContain('id="username"');
    for (const uri of ["http://localhost:53123/other", "http://127.0.0.1:8400/", "https://localhost:8400/"]) {
      const res = await fetch(authorizeUrl({ ...base, redirect_uri: uri }), { redirect: "manual" });
      expect(await res.text()).toContain("AADSTS50011");
    }
  });

  it("requires PKCE with S256 and a code response type, answering by redirect once the redirect URI is trusted", async () => {
    const base = { client_id: s.clientId, redirect_uri: "http://localhost:8400/", scope: s.outputs.scopes[0], state: "x" };
    const cases: Array<[Record<string, string>, string]> = [
      [{ response_type: "code" }, "invalid_request"],
      [{ response_type: "code", code_challenge: pkce().challenge, code_challenge_method: "plain" }, "invalid_request"],
      [{ response_type: "token", code_challenge: pkce().challenge, code_challenge_method: "S256" }, "unsupported_response_type"],
    ];
    for (const [params, error] of cases) {
      const res = await fetch(authorizeUrl({ ...base, ...params }), { redirect: "manual" });
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get("location") as string);
      expect(back.searchParams.get("error")).toBe(error);
      expect(back.searchParams.get("state")).toBe("x");
    }
  });

  it("drives login, MFA and consent pages with plain HTTP requests, staying on a page after a wrong password or code", async () => {
    const { challenge } = pkce();
    const start = await fetch(authorizeUrl({ client_id: s.clientId, response_type: "code", redirect_uri: "http://localhost:8400/", scope: `${s.outputs.scopes[0]} offline_access`, state: "abc", code_challenge: challenge, code_challenge_method: "S256", login_hint: s.users.admin.username }), { redirect: "manual" });
    let html = await start.text();
    expect(html).toMatch(/id="username"[^>]*value="admin@contoso\.example"/);
    expect(html).toContain('id="password"');
    expect(html).toContain('id="next"');
    const ctx = /name="ctx" value="([^"]+)"/.exec(html)?.[1] as string;
    const post = (route: string, fields: Record<string, string>): Promise<Response> =>
      fetch(`${s.entra.url}/${s.tenantId}/${route}`, { method: "POST", body: new URLSearchParams({ ctx, ...fields }), redirect: "manual" });

    html = await (await post("login", { login: s.users.admin.username, passwd: "wrong" })).text();
    expect(html).toContain("AADSTS50126");
    expect(html).toContain('id="password"');
    html = await (await post("login", { login: s.users.admin.username, passwd: s.users.admin.password })).text();
    expect(html).toContain('id="otc"');
    expect(html).toContain('id="verify"');
    const consentTooEarly = await post("consent", { action: "accept" });
    expect(consentTooEarly.status).toBe(400);
    html = await (await post("mfa", { otc: "000000" === s.users.admin.mfaCode ? "111111" : "000000" })).text();
    expect(html).toContain('id="error"');
    expect(html).toContain('id="otc"');
    html = await (await post("mfa", { otc: s.users.admin.mfaCode })).text();
    expect(html).toContain('id="accept"');
    expect(html).toContain('id="deny"');
    const done = await post("consent", { action: "accept" });
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get("location") as string);
    expect(back.origin + back.pathname).toBe("http://localhost:8400/");
    expect(back.searchParams.get("state")).toBe("abc");
    expect(back.searchParams.get("code")).toBeTruthy();
    expect((await post("consent", { action: "accept" })).status).toBe(400);
  });

  it("redirects with access_denied and AADSTS65004 when the user declines consent", async () => {
    const back = await s.entra.signIn(
      authorizeUrl({ client_id: s.clientId, response_type: "code", redirect_uri: "http://localhost:8400/", scope: s.outputs.scopes[0], state: "deny-state", code_challenge: pkce().challenge, code_challenge_method: "S256" }),
      { username: s.users.admin.username, password: s.users.admin.password, consent: "deny" },
    );
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS65004: User declined to consent/);
    expect(back.searchParams.get("state")).toBe("deny-state");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("skips the MFA page and issues amr [pwd] for a user without MFA", async () => {
    const user = s.users.nonMfa as StandInUser;
    const grant = await codeFor(user);
    const result = await redeemCode(grant);
    expect(claimsOf(result.body.access_token).amr).toEqual(["pwd"]);
  });

  it("answers the next authorize request with the error given to failNextAuthorize, once", async () => {
    s.entra.failNextAuthorize({ error: "interaction_required", description: "AADSTS53003: Access has been blocked by Conditional Access policies." });
    const params = { client_id: s.clientId, response_type: "code", redirect_uri: "http://localhost:8400/", scope: s.outputs.scopes[0], state: "f", code_challenge: pkce().challenge, code_challenge_method: "S256" };
    const res = await fetch(authorizeUrl(params), { redirect: "manual" });
    const back = new URL(res.headers.get("location") as string);
    expect(back.searchParams.get("error")).toBe("interaction_required");
    expect(back.searchParams.get("error_description")).toMatch(/^AADSTS53003/);
    expect(back.searchParams.get("state")).toBe("f");
    expect((await fetch(authorizeUrl(params), { redirect: "manual" })).status).toBe(200);
  });

  it("fails exactly the next token request with the error given to failNextToken", async () => {
    const rt = freshRefreshToken();
    s.entra.failNextToken({ error: "invalid_grant", code: 50076, description: "MFA required.", suberror: "basic_action" });
    const failed = await redeemRefreshToken(rt);
    expectEntraError(failed, 400, "invalid_grant", 50076);
    expect(failed.body.suberror).toBe("basic_action");
    expect((await redeemRefreshToken(rt)).status).toBe(200);
  });

  it("refuses tokens for resources the user never consented to (AADSTS65001) and scopes of two resources (AADSTS28000)", async () => {
    const rt = freshRefreshToken();
    expectEntraError(await redeemRefreshToken(rt, { scope: `${s.vault.resource}/user_impersonation offline_access` }), 400, "invalid_grant", 65001);
    expectEntraError(await redeemRefreshToken(rt, { scope: `${s.outputs.scopes[0]} https://graph.microsoft.com/User.Read` }), 400, "invalid_request", 28000);
    expectEntraError(await redeemRefreshToken(rt, { scope: "https://unknown.example/.default" }), 400, "invalid_resource", 500011);
    const graph = await redeemRefreshToken(rt, { scope: "https://graph.microsoft.com/.default offline_access" });
    expect(graph.status).toBe(200);
    expect(claimsOf(graph.body.access_token).aud).toBe("https://graph.microsoft.com");
  });

  it("records token requests without secrets, codes or tokens", async () => {
    const grant = await codeFor(s.users.admin);
    const issued = await redeemCode(grant);
    const log = JSON.stringify(s.entra.tokenRequests);
    expect(s.entra.tokenRequests.at(-1)).toMatchObject({ grantType: "authorization_code", clientId: s.clientId, status: 200 });
    for (const secret of [s.clientSecret, grant.code, grant.verifier, String(issued.body.refresh_token), String(issued.body.access_token)]) {
      expect(log).not.toContain(secret);
    }
  });
});

// --------------------------------------------------------- managed identity

describe("managed identity endpoint", () => {
  it("gives the real DefaultAzureCredential a vault token with no other network access", async () => {
    const blockedBefore = loopbackOnly.blockedConnections().length;
    const before = s.entra.managedIdentityRequests.length;
    const token = await withManagedIdentityEnv(() => new DefaultAzureCredential().getToken(`${s.vault.resource}/.default`));
    expect(token).not.toBeNull();
    const claims = s.entra.verifyAccessToken(token?.token as string, { audience: s.vault.resource, tenantId: s.tenantId });
    expect(claims.oid).toBe(s.entra.managedIdentityObjectId);
    expect(s.entra.managedIdentityRequests.length).toBe(before + 1);
    expect(loopbackOnly.blockedConnections()).toHaveLength(blockedBefore);
  });

  it("rejects a missing or wrong X-IDENTITY-HEADER with 401", async () => {
    const url = `${s.entra.url}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent(s.vault.resource)}`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { "X-IDENTITY-HEADER": "nope" } })).status).toBe(401);
    const ok = await fetch(url, { headers: { "X-IDENTITY-HEADER": s.entra.managedIdentityEnv().IDENTITY_HEADER } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, string>;
    expect(body).toMatchObject({ resource: s.vault.resource, token_type: "Bearer", client_id: s.entra.managedIdentityClientId });
    expect(body.expires_on).toMatch(/^\d+$/);
  });
});

// ---------------------------------------------------------------- Key Vault

describe("Key Vault stand-in", () => {
  async function rawVault(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const token = await s.entra.credential().getToken(`${s.vault.resource}/.default`);
    const res = await fetch(new URL(pathAndQuery, s.vault.url), {
      method,
      headers: { authorization: `Bearer ${token?.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  }

  it("answers the bearer challenge, then stores, reads, versions and lists secrets through the real SecretClient and DefaultAzureCredential", async () => {
    const blockedBefore = loopbackOnly.blockedConnections().length;
    const firstRequest = s.vault.requests.length;
    const writesBefore = s.vault.writeCount;
    await withManagedIdentityEnv(async () => {
      const client = new SecretClient(s.vault.url, new DefaultAzureCredential());
      const expiresOn = new Date(Date.now() + 90 * 24 * 3600 * 1000);
      const v1 = await client.setSecret("sdk-Test", "first", { contentType: "application/x-refresh-token", tags: { consentedBy: "admin" }, expiresOn });
      expect(s.vault.requests[firstRequest]).toMatchObject({ method: "PUT", status: 401, authenticated: false });
      expect(v1.properties.version).toMatch(/^[0-9a-f]{32}$/);
      expect(v1.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
      expect(v1.properties.recoveryLevel).toBe("Recoverable+Purgeable");
      const v2 = await client.setSecret("sdk-test", "second");
      const latest = await client.getSecret("sdk-test");
      expect(latest.value).toBe("second");
      expect(latest.name).toBe("sdk-Test");
      expect(latest.properties.version).toBe(v2.properties.version);
      const old = await client.getSecret("sdk-test", { version: v1.properties.version });
      expect(old.value).toBe("first");
      expect(old.properties.tags).toEqual({ consentedBy: "admin" });
      expect(old.properties.contentType).toBe("application/x-refresh-token");
      const versions = [];
      for await (const p of client.listPropertiesOfSecretVersions("sdk-test")) versions.push(p.version);
      expect(versions.sort()).toEqual([v1.properties.version, v2.properties.version].sort());
      const pages = [];
      for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) pages.push(page.map((p) => p.name));
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.flat()).toEqual(expect.arrayContaining(["sdk-Test", ...Object.values(DEFAULT_SECRET_NAMES).filter((n) => n !== DEFAULT_SECRET_NAMES.refreshToken && n !== DEFAULT_SECRET_NAMES.clientCertificate)]));
      await expect(client.getSecret("does-not-exist")).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });
    });
    expect(s.vault.writeCount).toBe(writesBefore + 2);
    expect(s.vault.versions("sdk-test").map((v) => v.value)).toEqual(["first", "second"]);
    expect(loopbackOnly.blockedConnections()).toHaveLength(blockedBefore);
    expect(JSON.stringify([s.vault.requests, s.vault.writes])).not.toMatch(/first|second/);
  });

  it("answers 403 ForbiddenByRbac to a principal without a role, and lets a Secrets User read but not write", async () => {
    const stranger = "44444444-4444-4444-4444-444444444444";
    const client = new SecretClient(s.vault.url, s.entra.credential({ objectId: stranger }));
    const denied = await client.getSecret(DEFAULT_SECRET_NAMES.clientId).catch((e: unknown) => e);
    expect(denied).toMatchObject({ statusCode: 403, code: "Forbidden" });
    expect(String((denied as Error).message)).toContain("Microsoft.KeyVault/vaults/secrets/getSecret/action");
    s.vault.grant(stranger, "user");
    try {
      expect((await client.getSecret(DEFAULT_SECRET_NAMES.clientId)).value).toBe(s.clientId);
      const write = await client.setSecret("user-write", "x").catch((e: unknown) => e);
      expect(write).toMatchObject({ statusCode: 403 });
      expect(String((write as Error).message)).toContain("Microsoft.KeyVault/vaults/secrets/setSecret/action");
      expect(s.vault.latest("user-write")).toBeUndefined();
    } finally {
      s.vault.revoke(stranger);
    }
    const raw = await fetch(new URL(`secrets/${DEFAULT_SECRET_NAMES.clientId}?api-version=7.6`, s.vault.url), {
      headers: { authorization: `Bearer ${(await s.entra.credential({ objectId: stranger }).getToken(`${s.vault.resource}/.default`))?.token}` },
    });
    expect(((await raw.json()) as { error: { innererror: { code: string } } }).error.innererror.code).toBe("ForbiddenByRbac");
  });

  it("injects failNext faults for matching requests only, in the service's shapes", async () => {
    s.vault.failNext(2, 403, { method: "PUT", name: "faulty" });
    const forbidden = await rawVault("PUT", "secrets/faulty?api-version=7.6", { value: "v" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json).toMatchObject({ error: { code: "Forbidden", innererror: { code: "ForbiddenByRbac" } } });
    expect((await rawVault("PUT", "secrets/other?api-version=7.6", { value: "v" })).status).toBe(200);
    expect((await rawVault("PUT", "secrets/faulty?api-version=7.6", { value: "v" })).status).toBe(403);
    expect((await rawVault("PUT", "secrets/faulty?api-version=7.6", { value: "v" })).status).toBe(200);
    expect(s.vault.writes.slice(-4).map((w) => w.status)).toEqual([403, 200, 403, 200]);

    s.vault.failNext(1, 429);
    const throttled = await rawVault("GET", "secrets/faulty?api-version=7.6");
    expect(throttled.status).toBe(429);
    // Real 429s often carry no Retry-After (vcsjones/AzureSignTool#219); the stand-in sends one only when asked.
    expect(throttled.headers.get("retry-after")).toBeNull();
    expect(throttled.json).toMatchObject({ error: { code: "Throttled" } });
    s.vault.failNext(1, 429, {}, { retryAfterSeconds: 2 });
    expect((await rawVault("GET", "secrets/faulty?api-version=7.6")).headers.get("retry-after")).toBe("2");
    for (const status of [500, 503]) {
      s.vault.failNext(1, status, { method: "GET" });
      expect((await rawVault("GET", "secrets/faulty?api-version=7.6")).status).toBe(status);
    }
    expect((await rawVault("GET", "secrets/faulty?api-version=7.6")).json.value).toBe("v");
  });

  it("rejects a missing api-version, invalid names and unauthenticated or foreign tokens like the service", async () => {
    const missing = await rawVault("GET", "secrets/faulty");
    expect(missing).toMatchObject({ status: 400, json: { error: { code: "BadParameter" } } });
    expect(String((missing.json.error as { message: string }).message)).toMatch(/api-version.*missing/);
    expect(await rawVault("GET", "secrets/faulty?api-version=1999-01-01")).toMatchObject({ status: 400 });
    expect(await rawVault("PUT", "secrets/bad_name?api-version=7.6", { value: "x" })).toMatchObject({ status: 400, json: { error: { code: "BadParameter" } } });
    expect(await rawVault("PUT", "secrets/no-value?api-version=7.6", { contentType: "x" })).toMatchObject({ status: 400 });
    const anonymous = await fetch(new URL("secrets/faulty?api-version=7.6", s.vault.url));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe(`Bearer authorization="${s.entra.url}/${s.tenantId}", resource="${s.vault.resource}"`);
    const pcToken = String((await redeemRefreshToken(freshRefreshToken())).body.access_token);
    const wrongAudience = await fetch(new URL("secrets/faulty?api-version=7.6", s.vault.url), { headers: { authorization: `Bearer ${pcToken}` } });
    expect(wrongAudience.status).toBe(401);
    expect(((await wrongAudience.json()) as { error: { message: string } }).error.message).toMatch(/^AKV10022/);
    const otherTenant = "55555555-5555-5555-5555-555555555555";
    s.entra.addTenant(otherTenant);
    const foreign = await s.entra.credential({ tenantId: otherTenant }).getToken(`${s.vault.resource}/.default`);
    const foreignRes = await fetch(new URL("secrets/faulty?api-version=7.6", s.vault.url), { headers: { authorization: `Bearer ${foreign?.token}` } });
    expect(foreignRes.status).toBe(401);
  });
});

// ----------------------------------------------------------- Partner Center

describe("Partner Center stand-in", () => {
  async function profile(token: string | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${s.partnerCenter.url}/v1/profiles/organization`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("rejects a token without mfa with 401 and code 900421, and returns the organization profile for one with mfa", async () => {
    const nonMfa = await redeemRefreshToken(freshRefreshToken(s.users.nonMfa as StandInUser));
    const rejected = await profile(String(nonMfa.body.access_token));
    expect(rejected.status).toBe(401);
    expect(rejected.body).toMatchObject({ code: MFA_REQUIRED_CODE, source: "PartnerFD" });
    expect(String(rejected.body.description)).toMatch(/MFA/);

    const before = s.partnerCenter.successfulCalls;
    const mfa = await redeemRefreshToken(freshRefreshToken());
    const accepted = await profile(String(mfa.body.access_token));
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ companyName: s.partnerCenter.organization.companyName, attributes: { objectType: "OrganizationProfile" } });
    expect(s.partnerCenter.successfulCalls).toBe(before + 1);
  });

  it("rejects missing tokens and tokens for another audience", async () => {
    expect((await profile(undefined)).status).toBe(401);
    const vaultToken = await s.entra.credential().getToken(`${s.vault.resource}/.default`);
    expect((await profile(vaultToken?.token)).status).toBe(401);
    const appOnly = await s.entra.credential().getToken(`${s.partnerCenter.resource}/.default`);
    expect((await profile(appOnly?.token)).status).toBe(401);
  });
});

// ----------------------------------------------------------- loopback guard

describe("loopback-only guard", () => {
  it("blocks 169.254.169.254 and records it, and allows 127.0.0.1", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-guard-"));
    const savedLog = process.env.PCSAM_BLOCKED_LOG;
    process.env.PCSAM_BLOCKED_LOG = path.join(dir, "blocked.log");
    try {
      expect(loopbackOnly.blockedConnections()).toEqual([]);
      expect(() => net.connect(80, "169.254.169.254")).toThrow("blocked outbound connection to 169.254.169.254:80");
      await expect(fetch("http://169.254.169.254/metadata/identity/oauth2/token")).rejects.toThrow();
      await expect(fetch("https://login.microsoftonline.com/common/discovery/instance")).rejects.toThrow();
      expect(loopbackOnly.blockedConnections().map((b) => b.target)).toEqual(["169.254.169.254:80", "169.254.169.254:80", "login.microsoftonline.com:443"]);
      expect(readFileSync(process.env.PCSAM_BLOCKED_LOG, "utf8")).toContain("169.254.169.254:80");

      const server = net.createServer((socket) => socket.end("hello"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as net.AddressInfo).port;
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        let data = "";
        socket.on("data", (d) => (data += d));
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
      });
      server.close();
      expect(reply).toBe("hello");
    } finally {
      process.env.PCSAM_BLOCKED_LOG = savedLog;
      loopbackOnly.clearBlockedConnections();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives CLI child processes the stand-ins' view through childEnv and records what they try to reach", async () => {
    const script = `
      const { DefaultAzureCredential } = require("@azure/identity");
      const { SecretClient } = require("@azure/keyvault-secrets");
      (async () => {
        const client = new SecretClient(process.argv[1], new DefaultAzureCredential());
        const secret = await client.getSecret(process.argv[2]);
        const outside = await fetch("https://169.254.169.254/").then(() => "reached", (e) => e.cause?.message ?? e.message);
        console.log(JSON.stringify({ length: secret.value.length, outside }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script, s.vault.url, DEFAULT_SECRET_NAMES.tenantId], {
      env: s.childEnv(),
      cwd: process.cwd(),
    });
    expect(JSON.parse(stdout)).toEqual({ length: s.tenantId.length, outside: "blocked outbound connection to 169.254.169.254:443" });
    expect(s.blockedConnections()).toHaveLength(1);
    expect(s.blockedConnections()[0]).toContain("169.254.169.254:443");
    s.clearBlockedConnections();
  });
});

// --------------------------------------------------------------- wiring

describe("startStandIns", () => {
  it("prints stack outputs that point at the stand-ins and seeds the vault with the app's credentials", () => {
    expect(s.outputs).toMatchObject({
      tenantId: s.tenantId,
      clientId: s.clientId,
      redirectUri: "http://localhost:8400/",
      keyVaultUri: s.vault.url,
      authorityHost: s.entra.url,
      partnerCenterEndpoint: s.partnerCenter.url,
      scopes: [`${s.partnerCenter.url}/user_impersonation`],
      // A client-secret app (this file's stand-ins): the secret's name, not the certificate's.
      secretNames: { clientId: DEFAULT_SECRET_NAMES.clientId, clientSecret: DEFAULT_SECRET_NAMES.clientSecret, tenantId: DEFAULT_SECRET_NAMES.tenantId, refreshToken: DEFAULT_SECRET_NAMES.refreshToken },
      adminConsentUrl: `${s.entra.url}/${s.tenantId}/adminconsent?client_id=${s.clientId}`,
    });
    expect(s.vault.latest(DEFAULT_SECRET_NAMES.clientId)?.value).toBe(s.clientId);
    expect(s.vault.latest(DEFAULT_SECRET_NAMES.tenantId)?.value).toBe(s.tenantId);
    const secret = s.vault.latest(DEFAULT_SECRET_NAMES.clientSecret);
    expect(secret?.value).toBe(s.clientSecret);
    expect(secret?.contentType).toBe("text/plain");
    const days = ((secret?.expiresOn?.getTime() ?? 0) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(199);
    expect(days).toBeLessThanOrEqual(200);
    expect(Math.abs(new Date(s.outputs.clientSecretExpiresAt!).getTime() - (secret?.expiresOn?.getTime() ?? 0))).toBeLessThan(1000);
    expect(s.vault.latest(DEFAULT_SECRET_NAMES.refreshToken)).toBeUndefined();
    const env = s.childEnv({ EXTRA: "1" });
    expect(env).toMatchObject({ NODE_EXTRA_CA_CERTS: process.env.PCSAM_TEST_CA, AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential", EXTRA: "1" });
    expect(env.NODE_OPTIONS).toContain("loopback-only.cjs");
  });
});
