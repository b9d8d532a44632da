/**
 * `bootstrap` over a healthy stored refresh token: it shows who consented it
 * and when, renews it when the same user signs in, and refuses (exit 2, the
 * stored token kept) to replace it with someone else's without --replace —
 * before the browser opens when --login-hint names that someone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIns, type StandIns, type StandInUser } from "../support/stand-ins";
import { freeLoopbackPort } from "../support/free-port";
import { AUTHORIZE_URL, BootstrapHarness, expectFailure, expectVaultUnchanged, jsonDocument, refreshTokenVersions, seedRefreshToken } from "./bootstrap-helpers";

const PORT = freeLoopbackPort();
const ARGS = ["--no-browser", "--timeout", "30", "--json", "--allow-no-mfa", "--no-verify"];
let s: StandIns;
let h: BootstrapHarness;
let other: StandInUser;

beforeAll(async () => {
  s = await startStandIns({ nonMfaUser: true });
  h = new BootstrapHarness(s, PORT);
  other = s.users.nonMfa as StandInUser;
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

const latest = () => s.vault.latest(s.outputs.secretNames.refreshToken);

describe("bootstrap over a healthy stored refresh token", () => {
  it("says who consented it and when, and renews it when the same user signs in again", async () => {
    const seeded = seedRefreshToken(s);
    const { result } = await h.signInAndFinish(ARGS);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`The vault holds a refresh token consented by ${s.users.admin.username} on ${seeded.tags.consentedAt} with MFA.`);
    expect(latest()?.version).not.toBe(seeded.version);
    expect(latest()?.tags.consentedBy).toBe(s.users.admin.username);
  });

  it("refuses before the sign-in, exit 2, when --login-hint names someone else, saying whose token it is and how to replace it", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenVersions(s);
    const requests = s.entra.tokenRequests.length;

    const result = await h.run([...ARGS, "--login-hint", other.username]);

    expectFailure(result, { exitCode: 2, code: "refresh_token_in_use", message: [new RegExp(`consented by ${s.users.admin.username} on ${seeded.tags.consentedAt}`), /Nothing was signed in or stored/], hint: [/partner-center-sam bootstrap --replace/] }, true);
    expect(result.stderr).not.toMatch(AUTHORIZE_URL);
    expect(s.entra.tokenRequests.length).toBe(requests);
    expectVaultUnchanged(s, before);
  });

  it("refuses after the sign-in, before writing, exit 2, when someone else signed in without --replace: the stored token is kept", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenVersions(s);

    const { result } = await h.signInAndFinish(ARGS, { user: other });

    expectFailure(result, { exitCode: 2, code: "refresh_token_in_use", message: [new RegExp(`consented by ${s.users.admin.username}`), new RegExp(`${other.username} signed in`), /the stored token is kept/], hint: [/--replace/] }, true);
    expectVaultUnchanged(s, before);
    expect(latest()?.value).toBe(seeded.value);
  });

  it("replaces it with --replace", async () => {
    seedRefreshToken(s);
    const { result } = await h.signInAndFinish([...ARGS, "--replace"], { user: other });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, consentedBy: other.username });
    expect(latest()?.tags.consentedBy).toBe(other.username);
  });

  it("needs no --replace when the stored token is disabled (nothing to lose)", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.setSecret(s.outputs.secretNames.refreshToken, seeded.value, { contentType: seeded.contentType, tags: seeded.tags, enabled: false });
    const { result } = await h.signInAndFinish(ARGS, { user: other });
    expect(result.code, result.stderr).toBe(0);
    expect(latest()?.tags.consentedBy).toBe(other.username);
  });
});
