/**
 * `partner-center-sam import-token` end to end: the built command against the
 * emulator, with the refresh token piped on stdin as a PowerShell or CIPP user
 * would pipe theirs (`Get-Content token.txt | …`).
 */
import { describe, expect, it } from "vitest";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../bootstrap/src/core/contract";
import { refreshTokenSnapshot, seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, startCli, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
const allStandIns = freshStandInsPerTest((started) => (s = started));

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

function importToken(args: string[], stdin: string): Promise<CliResult> {
  return runCli("import-token", args, s.childEnv(), stdin);
}

/** A refresh token the emulator issued to the stack's app for its MFA admin, as New-PartnerAccessToken would have. */
function existingToken(username = s.users.admin.username): string {
  return s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username, scopes: s.outputs.scopes });
}

function errorOf(result: CliResult): { code: string; message: string; hint: string } {
  return (jsonStdout(result).error ?? {}) as { code: string; message: string; hint: string };
}

describe("partner-center-sam import-token", () => {
  it("redeems the piped token once and stores the ROTATED token with the bootstrap's tags, verified with Partner Center", async () => {
    const piped = existingToken();
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();

    const result = await importToken(["--outputs", writeOutputsFile(s), "--json"], `${piped}\r\n`);

    expect(result.code, result.stderr).toBe(0);
    const name = s.outputs.secretNames.refreshToken;
    const versions = s.vault.versions(name);
    expect(versions).toHaveLength(before.versionCount + 1);
    const latest = versions[versions.length - 1]!;
    expect(latest.value).not.toBe(piped);
    expect(latest.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
    expect(s.entra.isRefreshTokenValid(latest.value)).toBe(true);
    expect(s.entra.refreshTokenUses(piped)).toBe(1);
    expect(latest.contentType).toBe(REFRESH_TOKEN_CONTENT_TYPE);
    expect(latest.tags).toMatchObject({ consentedBy: s.users.admin.username, mfa: "true", tenantId: s.tenantId, clientId: s.clientId });
    expect(Date.parse(latest.tags.refreshedAt)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(Date.parse(latest.tags.consentedAt)).toBeLessThanOrEqual(Date.now());
    expect(s.partnerCenter.calls).toEqual([expect.objectContaining({ path: "/v1/profiles/organization", status: 200, user: s.users.admin.username })]);
    // What the bootstrap would have left: `refresh` takes it from there.
    const refreshed = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--no-verify"], s.childEnv());
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toContain(`Consented by ${s.users.admin.username}`);
    expect(jsonStdout(result)).toMatchObject({
      ok: true,
      secretName: name,
      version: latest.version,
      consentedBy: s.users.admin.username,
      mfa: true,
      tenantId: s.tenantId,
      clientId: s.clientId,
      verified: true,
      replaced: null,
    });
  });

  it("finds the vault through --vault-uri with the endpoint flags, and says in text what it stored", async () => {
    const result = await importToken(vaultUriArgs(s), existingToken());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Imported");
    expect(result.stdout).toContain(`Consented by ${s.users.admin.username} with MFA`);
    expect(result.stdout).toContain(s.partnerCenter.organization.companyName);
  });

  it("refuses a token issued to another app registration (Entra's AADSTS700007), exit 2, and leaves the vault as it was", async () => {
    const otherClient = "22222222-2222-2222-2222-222222222222";
    s.entra.registerApp({ tenantId: s.tenantId, clientId: otherClient, clientSecret: "other-app-secret-value", redirectUris: ["http://localhost:9000/"] });
    const foreign = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: otherClient, username: s.users.admin.username, scopes: s.outputs.scopes });
    const before = refreshTokenSnapshot(s);

    const result = await importToken([...vaultUriArgs(s), "--json"], foreign);

    expect(result.code).toBe(2);
    expect(errorOf(result)).toMatchObject({ code: "import_token_other_app" });
    expect(errorOf(result).message).toContain("AADSTS700007");
    expect(errorOf(result).message).toContain(s.clientId);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("refuses a token of another tenant's user (Entra's AADSTS50020 at the partner tenant), exit 2", async () => {
    const customer = "33333333-3333-3333-3333-333333333333";
    s.entra.addTenant(customer, { displayName: "Fabrikam" });
    s.entra.setMultiTenant(s.clientId, true);
    s.entra.consentAppInTenant(customer, s.clientId, [GRAPH_DEFAULT]);
    s.entra.addUser({ tenantId: customer, username: "admin@fabrikam.example", password: "pw-fabrikam-0001", mfa: true });
    const foreign = s.entra.issueRefreshToken({ tenantId: customer, clientId: s.clientId, username: "admin@fabrikam.example", scopes: [GRAPH_DEFAULT] });
    const before = refreshTokenSnapshot(s);

    const result = await importToken([...vaultUriArgs(s), "--json"], foreign);

    expect(result.code).toBe(2);
    expect(errorOf(result)).toMatchObject({ code: "import_token_other_tenant" });
    expect(errorOf(result).message).toContain(s.tenantId);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("refuses a token of a guest from another tenant, although Entra ID redeems it at the partner tenant (exit 2)", async () => {
    const home = "44444444-4444-4444-4444-444444444444";
    s.entra.addTenant(home, { displayName: "Guest Home" });
    s.entra.setMultiTenant(s.clientId, true);
    s.entra.consentAppInTenant(home, s.clientId, [GRAPH_DEFAULT]);
    s.entra.addUser({ tenantId: home, username: "guest@guesthome.example", password: "pw-guest-0001", mfa: true });
    // Access to the partner tenant, as a B2B guest has: the emulator's cross-tenant role.
    s.entra.grantGdapRole(s.tenantId, "guest@guesthome.example");
    const guestToken = s.entra.issueRefreshToken({ tenantId: home, clientId: s.clientId, username: "guest@guesthome.example", scopes: s.outputs.scopes });
    const before = refreshTokenSnapshot(s);

    const result = await importToken([...vaultUriArgs(s), "--no-verify", "--json"], guestToken);

    expect(result.code, result.stderr).toBe(2);
    expect(errorOf(result)).toMatchObject({ code: "import_token_other_tenant" });
    expect(errorOf(result).message).toContain(`a user of tenant ${home}`);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("refuses a token obtained without MFA (exit 3), and stores it with --allow-no-mfa, tagged mfa=false", async () => {
    s.entra.addUser({ tenantId: s.tenantId, username: "user@contoso.example", password: "pw-user-0001", mfa: false });
    const before = refreshTokenSnapshot(s);

    const refused = await importToken([...vaultUriArgs(s), "--json"], existingToken("user@contoso.example"));
    expect(refused.code).toBe(3);
    expect(errorOf(refused)).toMatchObject({ code: "import_token_no_mfa" });
    expect(errorOf(refused).hint).toContain("--allow-no-mfa");
    expect(refreshTokenSnapshot(s)).toEqual(before);

    const allowed = await importToken([...vaultUriArgs(s), "--allow-no-mfa", "--no-verify", "--json"], existingToken("user@contoso.example"));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(jsonStdout(allowed)).toMatchObject({ mfa: false, consentedBy: "user@contoso.example", verified: false });
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)?.tags.mfa).toBe("false");
  });

  it.each([
    [50173, "revoked"],
    [700082, "expired"],
  ])("refuses a token Entra ID no longer accepts (AADSTS%s, %s) with exit 3 and the way to a fresh one", async (code) => {
    const piped = existingToken();
    s.entra.invalidateRefreshTokens({ code });
    const before = refreshTokenSnapshot(s);

    const result = await importToken([...vaultUriArgs(s), "--json"], piped);

    expect(result.code).toBe(3);
    expect(errorOf(result)).toMatchObject({ code: "import_token_refused" });
    expect(errorOf(result).message).toContain(`AADSTS${code}`);
    expect(errorOf(result).hint).toMatch(/New-PartnerAccessToken|bootstrap/);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("refuses a string Entra ID never issued (AADSTS9002313) as not a refresh token, exit 2", async () => {
    const result = await importToken([...vaultUriArgs(s), "--json"], "1.AnotARealRefreshTokenJustSomeCharacters0123456789");
    expect(result.code).toBe(2);
    expect(errorOf(result)).toMatchObject({ code: "import_token_input" });
    expect(errorOf(result).message).toContain("AADSTS9002313");
  });

  it.each([
    ["empty stdin", "", /empty/],
    ["two tokens", "1.Aaaaa 1.Abbbb", /more than one line or word/],
    ["an access token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", /access token/],
    ["JSON output", '{"RefreshToken":"1.Aabc"}', /JSON/],
  ])("refuses %s before calling Entra ID (exit 2, no token request)", async (_what, stdin, pattern) => {
    const result = await importToken([...vaultUriArgs(s), "--json"], stdin);
    expect(result.code).toBe(2);
    expect(errorOf(result).code).toBe("import_token_input");
    expect(errorOf(result).message).toMatch(pattern);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("stops waiting for standard input on Ctrl-C, with exit 130 and nothing sent", async () => {
    const cli = startCli("import-token", vaultUriArgs(s), s.childEnv());
    cli.child.stdin.write("1.Apartial");
    await cli.waitForStderr(/Reading the refresh token from standard input/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    expect(result.code).toBe(130);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("never takes the token as an argument: an extra argument is a usage error that does not echo it", async () => {
    const piped = existingToken();
    const result = await importToken([...vaultUriArgs(s), piped], "");
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).not.toContain(piped);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("does not replace a healthy token consented by another user without --replace, and says who and when", async () => {
    const seeded = seedRefreshToken(s, { tags: { consentedBy: "previous.admin@contoso.example" } });
    const before = refreshTokenSnapshot(s);

    const refused = await importToken([...vaultUriArgs(s), "--json"], existingToken());

    expect(refused.code).toBe(2);
    const error = errorOf(refused);
    expect(error.code).toBe("refresh_token_in_use");
    expect(error.message).toContain("previous.admin@contoso.example");
    expect(error.message).toContain(seeded.tags.consentedAt);
    expect(error.hint).toContain("--replace");
    expect(error.hint).toContain("--vault-uri");
    expect(refreshTokenSnapshot(s)).toEqual(before);

    const replaced = await importToken([...vaultUriArgs(s), "--replace", "--json"], existingToken());
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(jsonStdout(replaced)).toMatchObject({ consentedBy: s.users.admin.username, replaced: { consentedBy: "previous.admin@contoso.example", consentedAt: seeded.tags.consentedAt } });
  });

  it("replaces without --replace a token of the same user, or one that has expired", async () => {
    seedRefreshToken(s);
    const same = await importToken([...vaultUriArgs(s), "--json"], existingToken());
    expect(same.code, same.stderr).toBe(0);
    expect(jsonStdout(same)).toMatchObject({ replaced: null });

    seedRefreshToken(s, { tags: { consentedBy: "previous.admin@contoso.example" }, expiresOn: new Date(Date.now() - 60_000) });
    const expired = await importToken([...vaultUriArgs(s), "--json"], existingToken());
    expect(expired.code, expired.stderr).toBe(0);
  });

  it("prints no secret, on success or on failure", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
