/**
 * `npm run bootstrap` meeting Entra ID answers the happy path never shows:
 * an MFA sign-in whose `amr` says `ngcmfa` (Windows Hello) rather than `mfa`,
 * an access token that is not a readable JWT, and Conditional Access / MFA
 * challenges at the token endpoint that carry a `claims` challenge.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIns, type StandIns, type StandInUser } from "../support/stand-ins";
import { BootstrapHarness, expectNoSecretOnScreen, jsonDocument, refreshTokenVersions } from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const SIGN_IN_ARGS = ["--no-browser", "--timeout", "30", "--json"];

let s: StandIns;
let h: BootstrapHarness;

beforeAll(async () => {
  s = await startStandIns();
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

function addUser(amr: string[]): StandInUser {
  const username = `user-${randomUUID().slice(0, 8)}@contoso.example`;
  const mfaCode = "246810";
  const user = s.entra.addUser({ tenantId: s.tenantId, username, password: `pw-${randomUUID()}`, mfa: true, mfaCode, amr });
  return { username, password: user.password, mfa: true, mfaCode, displayName: user.displayName, oid: user.oid };
}

describe("what counts as MFA", () => {
  it("stores the token of a sign-in whose amr says ngcmfa, as Partner Center's own check counts it as MFA", async () => {
    const user = addUser(["pwd", "ngcmfa"]);

    const { result } = await h.signInAndFinish(SIGN_IN_ARGS, { user });

    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, mfa: true, consentedBy: user.username });
    // The token was checked against Partner Center, which accepted it.
    expect(s.partnerCenter.calls.map((c) => c.status)).toContain(200);
    expect(result.stderr).toContain("with MFA");
    const stored = s.vault.latest(s.outputs.secretNames.refreshToken)!;
    expect(stored.value).toBe(s.entra.newestRefreshToken(s.clientId, user.username));
    expect(stored.tags).toMatchObject({ mfa: "true", consentedBy: user.username });
  });

  it("still refuses a sign-in whose amr has no value containing mfa (exit 3, nothing stored)", async () => {
    const user = addUser(["pwd", "otp"]);
    const before = refreshTokenVersions(s);

    const { result } = await h.signInAndFinish(SIGN_IN_ARGS, { user });

    expect(result.code).toBe(3);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: false, error: { code: "mfa_missing" } });
    expect(refreshTokenVersions(s)).toEqual(before);
  });
});

describe("an access token that is not a readable JWT", () => {
  it("is reported as unreadable (exit 1), not as a sign-in without MFA, and nothing is stored or sent to Partner Center", async () => {
    s.entra.opaqueNextAccessToken();
    const before = refreshTokenVersions(s);
    const calls = s.partnerCenter.calls.length;

    const { result } = await h.signInAndFinish(SIGN_IN_ARGS);

    expect(result.code).toBe(1);
    const error = (jsonDocument(result.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe("access_token_unreadable");
    expect(error.message).toContain("not a readable JWT");
    expect(error.message).not.toMatch(/multi-factor/);
    expect(error.hint).toContain("partner-center-sam bootstrap");
    expect(refreshTokenVersions(s)).toEqual(before);
    expect(s.partnerCenter.calls.length).toBe(calls);
  });
});

describe("Conditional Access challenges at the token endpoint", () => {
  it.each([
    [50076, "mfa_required", /multi-factor/],
    [50079, "mfa_required", /multi-factor/],
    [53003, "conditional_access_blocked", /Conditional Access/],
  ])("maps AADSTS%s with its claims challenge to %s (exit 3) and stores nothing", async (code, errorCode, why) => {
    s.entra.failNextToken({ error: "invalid_grant", code, description: "Entra ID wants more from this sign-in." });
    const before = refreshTokenVersions(s);

    const { result } = await h.signInAndFinish(SIGN_IN_ARGS);

    expect(result.code).toBe(3);
    const error = (jsonDocument(result.stdout) as { error: { code: string; message: string; aadsts?: string } }).error;
    expect(error).toMatchObject({ code: errorCode, aadsts: String(code) });
    expect(error.message).toMatch(why);
    expect(result.stdout + result.stderr).not.toContain("capolids");
    expect(refreshTokenVersions(s)).toEqual(before);
  });

  it("never prints a token, code or secret in any of these runs", () => {
    expectNoSecretOnScreen(h, 6);
  });
});
