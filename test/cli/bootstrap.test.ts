/**
 * `npm run bootstrap` end to end, as a child process of the built CLI against
 * the Entra ID, Key Vault and Partner Center stand-ins: the sign-ins that end
 * with a refresh token in the vault, and what the command does on the way
 * (loopback server, pasted address, busy port, Key Vault propagation waits,
 * the Pulumi CLI, --help). Failures are in bootstrap-faults.test.ts.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../bootstrap/src/core/contract";
import type { SecretVersion } from "../../emulator/key-vault";
import { startStandIns, type StandIns, type StandInUser } from "../support/stand-ins";
import {
  BootstrapHarness,
  deliverLikeABrowser,
  expectNoSecretOnScreen,
  expectVaultUnchanged,
  fakePulumi,
  getFromLoopback,
  jsonDocument,
  redirectUriOf,
  refreshTokenVersions,
  seedRefreshToken,
} from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const DAY_MS = 24 * 3600 * 1000;

let s: StandIns;
let h: BootstrapHarness;

beforeAll(async () => {
  s = await startStandIns({ nonMfaUser: true });
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

/** The refresh-token secret's latest version, which a run must have just written. */
function storedToken(): SecretVersion {
  const latest = s.vault.latest(s.outputs.secretNames.refreshToken);
  expect(latest).toBeDefined();
  return latest as SecretVersion;
}

/** Checks the stored secret: a live refresh token with the contract's content type, expiry and tags. */
function expectStoredFor(user: StandInUser, mfa: boolean, startedAt: number): SecretVersion {
  const stored = storedToken();
  expect(s.entra.isRefreshTokenValid(stored.value)).toBe(true);
  expect(stored.contentType).toBe(REFRESH_TOKEN_CONTENT_TYPE);
  const expectedExpiry = startedAt + 90 * DAY_MS;
  expect(stored.expiresOn?.getTime()).toBeGreaterThanOrEqual(Math.floor(expectedExpiry / 1000) * 1000);
  expect(stored.expiresOn?.getTime()).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);
  expect(stored.tags).toEqual({
    consentedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    consentedBy: user.username,
    mfa: mfa ? "true" : "false",
    tenantId: s.tenantId,
    clientId: s.clientId,
    refreshedAt: stored.tags.consentedAt,
  });
  const consentedAt = Date.parse(stored.tags.consentedAt);
  expect(consentedAt).toBeGreaterThanOrEqual(startedAt - 1000);
  expect(consentedAt).toBeLessThanOrEqual(Date.now());
  return stored;
}

/** Authorization-code redemptions seen by Entra so far. */
function codeRedemptions(): number {
  return s.entra.tokenRequests.filter((r) => r.grantType === "authorization_code").length;
}

describe("npm run bootstrap stores the first refresh token", () => {
  it("stores a refresh token Entra accepts, with content type, 90-day expiry and tags, after the browser returns to the loopback server", async () => {
    const startedAt = Date.now();
    const calls = s.partnerCenter.calls.length;
    const redemptions = codeRedemptions();
    const { result, authorizeUrl, redirect, loopbackAnswer, finalPage } = await h.signInAndFinish(["--no-browser", "--timeout", "30"]);
    expect(result.code, result.stderr).toBe(0);
    expect(redirectUriOf(authorizeUrl)).toBe(`http://localhost:${PORT}/`);
    expect(redirect.searchParams.get("code")).toBeTruthy();

    // The loopback server takes the code and sends the browser to the bare redirect URI.
    expect(loopbackAnswer?.status).toBe(302);
    expect(loopbackAnswer?.location).toBe(`http://localhost:${PORT}/`);
    expect(loopbackAnswer?.body).not.toContain(redirect.searchParams.get("code"));
    expect(finalPage?.status).toBe(200);
    expect(finalPage?.body).toMatch(/Sign-in complete.*You can close this window/s);

    const stored = expectStoredFor(s.users.admin, true, startedAt);
    expect(refreshTokenVersions(s)).toHaveLength(1);
    expect(codeRedemptions()).toBe(redemptions + 1);
    expect(s.partnerCenter.calls.slice(calls)).toEqual([expect.objectContaining({ path: "/v1/profiles/organization", status: 200, user: s.users.admin.username })]);

    expect(result.stdout).toContain(`Stored the refresh token in ${s.vault.url}`);
    expect(result.stdout).toContain(stored.version);
    expect(result.stdout).toContain(`Consented by ${s.users.admin.username} with MFA`);
    expect(result.stdout).toContain(`Partner Center organization: ${s.partnerCenter.organization.companyName} (${s.partnerCenter.organization.id})`);
    expect(result.stderr).toMatch(/Open this address in a browser/);
  });

  it("accepts the redirected address pasted into the terminal and prints one JSON document describing what it stored", async () => {
    const previous = seedRefreshToken(s);
    const startedAt = Date.now();
    const calls = s.partnerCenter.calls.length;
    const { result } = await h.signInAndFinish(["--no-browser", "--json", "--timeout", "30"], { deliver: "paste" });
    expect(result.code, result.stderr).toBe(0);
    const stored = expectStoredFor(s.users.admin, true, startedAt);
    expect(refreshTokenVersions(s).map((v) => v.version).slice(-2)).toEqual([previous.version, stored.version]);
    expect(s.partnerCenter.calls.length).toBe(calls + 1);

    expect(jsonDocument(result.stdout)).toEqual({
      ok: true,
      keyVaultUri: s.vault.url,
      secretName: s.outputs.secretNames.refreshToken,
      version: stored.version,
      expiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      consentedBy: s.users.admin.username,
      consentedAt: stored.tags.consentedAt,
      mfa: true,
      tenantId: s.tenantId,
      clientId: s.clientId,
      verified: true,
      verification: "passed",
      verificationError: null,
      organization: { id: s.partnerCenter.organization.id, companyName: s.partnerCenter.organization.companyName },
    });
    // The vault keeps whole seconds; the command reports the expiry it asked for.
    const reported = Date.parse(String(jsonDocument(result.stdout).expiresOn));
    expect(Math.abs(reported - (stored.expiresOn?.getTime() ?? 0))).toBeLessThan(1000);
    expect(result.stderr).toMatch(/paste it here/);
  });

  it("skips the Partner Center call with --no-verify and still stores the token", async () => {
    const startedAt = Date.now();
    const calls = s.partnerCenter.calls.length;
    const { result } = await h.signInAndFinish(["--no-browser", "--no-verify", "--json", "--timeout", "30"]);
    expect(result.code, result.stderr).toBe(0);
    expect(s.partnerCenter.calls.length).toBe(calls);
    const stored = expectStoredFor(s.users.admin, true, startedAt);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, version: stored.version, verified: false, organization: null });
  });

  it("stores a token without MFA, tagged mfa=false, when told to with --allow-no-mfa --no-verify", async () => {
    const user = s.users.nonMfa as StandInUser;
    const startedAt = Date.now();
    // The earlier tests stored the admin's token: another user replaces it only with --replace (bootstrap-replace.test.ts).
    const { result } = await h.signInAndFinish(["--no-browser", "--allow-no-mfa", "--no-verify", "--replace", "--json", "--timeout", "30"], { user });
    expect(result.code, result.stderr).toBe(0);
    expectStoredFor(user, false, startedAt);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, consentedBy: user.username, mfa: false });
    expect(result.stderr).toContain(`Signed in as ${user.username} without MFA`);
    // The tests after this one sign in as the admin again, over the admin's token.
    seedRefreshToken(s);
  });
});

describe("the loopback redirect server", () => {
  it("answers a response with the wrong state with 400, never redeems it, and completes with the right one", async () => {
    const redemptions = codeRedemptions();
    const { cli, authorizeUrl } = h.start(["--no-browser", "--json", "--timeout", "30"]);
    const url = await authorizeUrl();
    const forged = await getFromLoopback(`${redirectUriOf(url)}?code=forged-code-value&state=not-the-state`);
    expect(forged.status).toBe(400);
    expect(forged.body).toMatch(/state mismatch/);
    expect(forged.body).not.toContain("forged-code-value");
    expect(cli.child.exitCode).toBeNull();

    const { finalPage } = await deliverLikeABrowser(await h.signIn(url));
    expect(finalPage?.body).toContain("Sign-in complete");
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true });
    expect(codeRedemptions()).toBe(redemptions + 1);
    expect(s.entra.isRefreshTokenValid(storedToken().value)).toBe(true);
  });

  it("answers 404 to a favicon request before the callback and still completes", async () => {
    const { cli, authorizeUrl } = h.start(["--no-browser", "--json", "--timeout", "30"]);
    const url = await authorizeUrl();
    const favicon = await getFromLoopback(new URL("/favicon.ico", redirectUriOf(url)));
    expect(favicon.status).toBe(404);
    expect(cli.child.exitCode).toBeNull();

    const { loopbackAnswer } = await deliverLikeABrowser(await h.signIn(url));
    expect(loopbackAnswer.status).toBe(302);
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, version: storedToken().version });
  });

  it("listens on another port when the redirect port is busy and sends that port in redirect_uri", async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve, reject) => squatter.once("error", reject).listen(PORT, "127.0.0.1", resolve));
    try {
      const { cli, authorizeUrl } = h.start(["--no-browser", "--json", "--timeout", "30"]);
      const [, port] = await cli.waitForStderr(new RegExp(`Port ${PORT} is busy; listening on (\\d+) instead`));
      expect(Number(port)).not.toBe(PORT);
      expect(Number(port)).toBeGreaterThanOrEqual(8400);
      expect(Number(port)).toBeLessThanOrEqual(8999);
      const url = await authorizeUrl();
      expect(redirectUriOf(url)).toBe(`http://localhost:${port}/`);
      const redirect = await h.signIn(url);
      expect(redirect.port).toBe(port);
      expect((await deliverLikeABrowser(redirect)).finalPage?.body).toContain("Sign-in complete");
      const result = await cli.done;
        expect(result.code, result.stderr).toBe(0);
      expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, version: storedToken().version });
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});

describe("Key Vault role propagation", () => {
  it("retries 403 answers while a new role assignment propagates, says why it waits, then stores the token", async () => {
    s.vault.failNext(2, 403, { method: "GET", name: s.outputs.secretNames.clientCertificate });
    const startedAt = Date.now();
    const { result } = await h.signInAndFinish(["--no-browser", "--json", "--timeout", "30"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Key Vault denied access \(403\)\. New role assignments can take minutes to apply; retrying in 2 s\./);
    expect(result.stderr).toMatch(/retrying in 4 s\./);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(6000);
    expectStoredFor(s.users.admin, true, startedAt);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true });
  });

  it("retries a 403 on the refresh-token write and stores the token once access arrives", async () => {
    s.vault.failNext(1, 403, { method: "PUT", name: s.outputs.secretNames.refreshToken });
    const writes = s.vault.writes.length;
    const startedAt = Date.now();
    const { result } = await h.signInAndFinish(["--no-browser", "--json", "--timeout", "30"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Key Vault denied access \(403\).*retrying in 2 s/);
    expect(s.vault.writes.slice(writes).map((w) => w.status)).toEqual([403, 200]);
    expectStoredFor(s.users.admin, true, startedAt);
  });
});

describe("stack outputs from the Pulumi CLI", () => {
  it("runs `pulumi stack output --json --show-secrets --stack dev` when given --stack dev and uses what it prints", async () => {
    const { binDir, argsFile } = fakePulumi(h, { outputs: h.outputs() });
    const startedAt = Date.now();
    const { result } = await h.signInAndFinish(["--stack", "dev", "--no-browser", "--json", "--timeout", "30"], {
      outputs: null,
      env: { PATH: binDir },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual(["stack", "output", "--json", "--show-secrets", "--stack", "dev"]);
    expect(result.stderr).toContain("Reading stack outputs with `pulumi stack output` (stack dev)");
    expectStoredFor(s.users.admin, true, startedAt);
  });
});

describe("--help", () => {
  it("documents every option of the bootstrap table in docs/commands.md and the exit codes, and exits 0", async () => {
    const page = readFileSync(path.join(process.cwd(), "docs", "commands.md"), "utf8");
    const section = page.slice(page.indexOf("## The bootstrap"), page.indexOf("### Over SSH"));
    const documented = [...section.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(documented).toEqual(expect.arrayContaining(["--stack", "--outputs", "--no-browser", "--timeout", "--login-hint", "--access-wait", "--allow-no-mfa", "--no-verify", "--json"]));

    const before = refreshTokenVersions(s);
    const result = await h.run(["--help"], { outputs: null });
    expect(result.code).toBe(0);
    for (const option of documented) expect(result.stdout).toMatch(new RegExp(`^\\s+${option}\\b`, "m"));
    expect(result.stdout).toMatch(/Exit codes:/);
    expectVaultUnchanged(s, before);
  });
});

// Runs last (tests in a file run in order): everything the commands above printed.
describe("what the bootstrap printed in all of the above", () => {
  it("contains no token, code, client secret, password or MFA code", () => {
    expectNoSecretOnScreen(h, 11);
  });
});
