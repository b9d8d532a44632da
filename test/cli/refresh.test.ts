/**
 * `npm run refresh` end to end: the built command against the Entra ID, Key
 * Vault and Partner Center stand-ins, as a child process with its own
 * DefaultAzureCredential (the stand-in's managed identity).
 */
import { describe, expect, it } from "vitest";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../bootstrap/src/core/contract";
import {
  DAY_MS,
  documentedFlags,
  refreshTokenSnapshot,
  scratchDir,
  seedRefreshToken,
  vaultUriArgs,
  writeOutputsFile,
  type SeededRefreshToken,
} from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
/** Every stand-in set this file started, for the final "no secret printed" check. */
// These tests are about the client secret: the app authenticates with one (appCredential: secret).
const allStandIns = freshStandInsPerTest((started) => (s = started), { appCredential: "secret" });

const refreshTokenName = () => s.outputs.secretNames.refreshToken;

function refresh(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli("refresh", args, s.childEnv(extraEnv));
}

/** Checks what a successful refresh leaves behind: one new version holding the newest token Entra issued, the stored one redeemed once, tags kept. */
function expectRotated(seeded: SeededRefreshToken, before: ReturnType<typeof refreshTokenSnapshot>, startedAt: number): void {
  const versions = s.vault.versions(refreshTokenName());
  expect(versions).toHaveLength(before.versionCount + 1);
  expect(s.vault.writeCount).toBe(before.writeCount + 1);
  const latest = versions[versions.length - 1];
  expect(latest.value).not.toBe(seeded.token);
  expect(s.entra.isRefreshTokenValid(latest.value)).toBe(true);
  expect(latest.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
  expect(latest.contentType).toBe(REFRESH_TOKEN_CONTENT_TYPE);
  expect(latest.tags).toMatchObject({
    consentedAt: seeded.tags.consentedAt,
    consentedBy: seeded.tags.consentedBy,
    mfa: seeded.tags.mfa,
    tenantId: s.tenantId,
    clientId: s.clientId,
  });
  const refreshedAt = Date.parse(latest.tags.refreshedAt);
  expect(refreshedAt).toBeGreaterThanOrEqual(startedAt);
  expect(refreshedAt).toBeLessThanOrEqual(Date.now());
  // Key Vault keeps whole seconds.
  expect(latest.expiresOn?.getTime()).toBeGreaterThanOrEqual(startedAt + 90 * DAY_MS - 1000);
  expect(latest.expiresOn?.getTime()).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);
}

describe("npm run refresh", () => {
  it("redeems the stored token, stores the rotated one as a new version and verifies it with Partner Center (via --outputs)", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();

    const result = await refresh(["--outputs", writeOutputsFile(s)]);

    expect(result.code, result.stderr).toBe(0);
    expectRotated(seeded, before, startedAt);
    expect(s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token")).toHaveLength(1);
    expect(s.partnerCenter.calls).toEqual([expect.objectContaining({ path: "/v1/profiles/organization", status: 200, user: s.users.admin.username })]);
    expect(result.stdout).toContain("Refreshed");
    expect(result.stdout).toContain(s.partnerCenter.organization.companyName);
    expect(result.stdout).toContain(`Consented by ${seeded.tags.consentedBy}`);
  });

  it("finds everything through --vault-uri with --authority-host and --partner-center-endpoint, without stack outputs", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();

    const result = await refresh(vaultUriArgs(s));

    expect(result.code, result.stderr).toBe(0);
    expectRotated(seeded, before, startedAt);
    expect(s.partnerCenter.successfulCalls).toBe(1);
  });

  it("takes the authority host from AZURE_AUTHORITY_HOST when --authority-host is not given", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();

    const result = await refresh(["--vault-uri", s.vault.url, "--partner-center-endpoint", s.partnerCenter.url], { AZURE_AUTHORITY_HOST: s.entra.url });

    expect(result.code, result.stderr).toBe(0);
    expectRotated(seeded, before, startedAt);
  });

  it("lets AZURE_AUTHORITY_HOST override the stack's authorityHost output", async () => {
    seedRefreshToken(s);
    const outputs = writeOutputsFile(s, { authorityHost: "https://login.example.invalid" });

    const result = await refresh(["--outputs", outputs], { AZURE_AUTHORITY_HOST: `${s.entra.url}/` });

    expect(result.code, result.stderr).toBe(0);
    expect(s.entra.tokenRequests).toHaveLength(1);
  });

  it("prints exactly one JSON document with the result on stdout with --json, and progress on stderr", async () => {
    const seeded = seedRefreshToken(s);

    const result = await refresh(["--outputs", writeOutputsFile(s), "--json"]);

    expect(result.code, result.stderr).toBe(0);
    const doc = jsonStdout(result);
    const latest = s.vault.latest(refreshTokenName())!;
    expect(Object.keys(doc).sort()).toEqual(
      ["ok", "keyVaultUri", "secretName", "version", "refreshedAt", "refreshTokenExpiresOn", "accessTokenExpiresOn", "consentedBy", "consentedAt", "mfa", "verified", "organization"].sort(),
    );
    expect(doc).toMatchObject({
      ok: true,
      keyVaultUri: s.vault.url,
      secretName: refreshTokenName(),
      version: latest.version,
      refreshedAt: latest.tags.refreshedAt,
      consentedBy: seeded.tags.consentedBy,
      consentedAt: seeded.tags.consentedAt,
      mfa: true,
      verified: true,
      organization: { id: s.partnerCenter.organization.id, companyName: s.partnerCenter.organization.companyName },
    });
    expect(Math.abs(Date.parse(String(doc.refreshTokenExpiresOn)) - latest.expiresOn!.getTime())).toBeLessThan(1000);
    expect(Date.parse(String(doc.accessTokenExpiresOn))).toBeGreaterThan(Date.now());
    expect(result.stderr).toContain("Redeeming the refresh token");
  });

  it("skips the Partner Center check with --no-verify and still stores the rotated token", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();

    const result = await refresh(["--outputs", writeOutputsFile(s), "--no-verify", "--json"]);

    expect(result.code, result.stderr).toBe(0);
    expectRotated(seeded, before, startedAt);
    expect(s.partnerCenter.calls).toEqual([]);
    expect(jsonStdout(result)).toMatchObject({ verified: false, organization: null });
  });

  it("uses the secret names from the stack outputs", async () => {
    const custom = await startStandIns({
      appCredential: "secret",
      secretNames: { clientId: "pc-app-id", clientSecret: "pc-app-secret", tenantId: "pc-tenant", refreshToken: "pc-user-token" },
    });
    allStandIns.push(custom);
    try {
      const seeded = seedRefreshToken(custom);

      const result = await runCli("refresh", ["--outputs", writeOutputsFile(custom), "--json"], custom.childEnv());

      expect(result.code, result.stderr).toBe(0);
      expect(jsonStdout(result)).toMatchObject({ secretName: "pc-user-token" });
      expect(custom.vault.versions("pc-user-token")).toHaveLength(2);
      expect(custom.entra.refreshTokenUses(seeded.token)).toBe(1);
      expect(custom.vault.versions("partnercenter-refresh-token")).toEqual([]);
    } finally {
      await custom.stop();
    }
  });

  it("keeps the rotated token it stored and exits 1 when the Partner Center check fails afterwards", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    s.partnerCenter.failNext(1, 400);

    const result = await refresh(["--outputs", writeOutputsFile(s)]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Partner Center answered HTTP 400");
    expect(result.stderr).toContain("Stored the rotated refresh token");
    expectRotated(seeded, before, 0);
  });

  it("retries a Partner Center 503 and a 429 within the transient budget and reports the organization", async () => {
    seedRefreshToken(s);
    s.partnerCenter.failNext(1, 503);
    s.partnerCenter.failNext(1, 429);

    const result = await refresh(["--outputs", writeOutputsFile(s), "--json"]);

    expect(result.code, result.stderr).toBe(0);
    expect(s.partnerCenter.calls.map((c) => c.status)).toEqual([503, 429, 200]);
    expect(jsonStdout(result)).toMatchObject({ verified: true, organization: { id: s.partnerCenter.organization.id } });
  });

  it("exits 2 and suggests --outputs when --stack is used where the Pulumi CLI is not installed", async () => {
    const result = await refresh(["--stack", "dev"], { PATH: scratchDir() });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Pulumi CLI");
    expect(result.stderr).toContain("--outputs FILE");
  });

  describe("when Entra ID needs a new interactive consent", () => {
    const cases: Array<{ code: number; why: RegExp }> = [
      { code: 700082, why: /expired.*not used for 90 days/ },
      { code: 70008, why: /expired/ },
      { code: 50173, why: /revoked.*password/ },
      { code: 50076, why: /multi-factor/ },
      { code: 50078, why: /multi-factor/ },
      { code: 53003, why: /Conditional Access/ },
    ];

    it.each(cases)("exits 3 for AADSTS$code, says to run `npm run bootstrap` and why, and leaves the vault untouched", async ({ code, why }) => {
      const seeded = seedRefreshToken(s);
      expect(s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code })).toBeGreaterThan(0);
      const before = refreshTokenSnapshot(s);

      const result = await refresh(["--outputs", writeOutputsFile(s)]);

      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain("partner-center-sam bootstrap");
      expect(result.stderr).toContain(`AADSTS${code}`);
      expect(result.stderr).toMatch(why);
      expect(refreshTokenSnapshot(s)).toEqual(before);
      expect(s.vault.latest(refreshTokenName())?.value).toBe(seeded.token);
      expect(s.vault.writes).toEqual([]);
      expect(s.partnerCenter.calls).toEqual([]);
    });

    it("reports the AADSTS code in the --json error document", async () => {
      seedRefreshToken(s);
      s.entra.invalidateRefreshTokens({ code: 700082 });

      const result = await refresh(["--outputs", writeOutputsFile(s), "--json"]);

      expect(result.code).toBe(3);
      expect(jsonStdout(result)).toEqual({
        ok: false,
        error: { code: "consent_required", message: expect.stringContaining("AADSTS700082"), hint: expect.stringContaining("partner-center-sam bootstrap"), aadsts: "700082" },
      });
    });
  });

  it("exits 3 and says to run `npm run bootstrap` when no refresh token is stored yet, without asking Entra ID", async () => {
    const result = await refresh(["--outputs", writeOutputsFile(s)]);

    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("partner-center-sam bootstrap");
    expect(result.stderr).toContain(refreshTokenName());
    expect(s.entra.tokenRequests).toEqual([]);
    expect(s.vault.writes).toEqual([]);
  });

  it("exits 3 and says to run `npm run bootstrap` when the refresh-token secret is disabled, without retrying the vault", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.setSecret(refreshTokenName(), seeded.token, { enabled: false, tags: { ...seeded.tags } });
    const before = refreshTokenSnapshot(s);

    const result = await refresh(["--outputs", writeOutputsFile(s), "--access-wait", "5"]);

    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("disabled");
    expect(result.stderr).toContain("partner-center-sam bootstrap");
    expect(result.stderr).not.toContain("retrying");
    expect(s.entra.tokenRequests).toEqual([]);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("exits 3 (a person must act, as for a disabled refresh token) and says to run `pulumi up` when the client secret in the vault is disabled", async () => {
    seedRefreshToken(s);
    s.vault.setSecret(s.outputs.secretNames.clientSecret!, s.clientSecret!, { enabled: false });

    const result = await refresh(["--outputs", writeOutputsFile(s)]);

    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`The secret "${s.outputs.secretNames.clientSecret}"`);
    expect(result.stderr).toContain("pulumi up");
    expect(result.stderr).not.toContain("retrying");
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("exits 1, says the token was redeemed but not stored, names the missing role and keeps the old (still valid) version as the latest when the vault refuses the write", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(100, 403, { method: "PUT" });

    const result = await refresh(["--outputs", writeOutputsFile(s), "--access-wait", "0"]);

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("The stored refresh token WAS redeemed, but the new refresh token could not be stored");
    expect(result.stderr).toMatch(/denied write access to "partnercenter-refresh-token" \(403\)/);
    expect(result.stderr).toContain(`remains valid until its expiry (${s.vault.latest(refreshTokenName())!.expiresOn!.toISOString()})`);
    expect(result.stderr).toContain("Key Vault Secrets Officer");
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
    expect(s.vault.writes).toEqual([expect.objectContaining({ method: "PUT", name: refreshTokenName(), status: 403 })]);
    expect(s.vault.latest(refreshTokenName())).toMatchObject({ version: seeded.version, value: seeded.token });
    expect(s.partnerCenter.calls).toEqual([]);
    expect(result.stdout).not.toContain("Refreshed");
  });

  it("waits for the vault's role assignment to propagate when --access-wait allows it", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    const startedAt = Date.now();
    s.vault.failNext(1, 403, { method: "PUT" });

    const result = await refresh(["--outputs", writeOutputsFile(s), "--access-wait", "10", "--no-verify"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/denied access \(403\).*retrying in 2 s/);
    expectRotated(seeded, before, startedAt);
  });

  describe("usage errors", () => {
    it("exits 2 when --vault-uri is combined with --outputs, before touching any service", async () => {
      seedRefreshToken(s);

      const result = await refresh(["--vault-uri", s.vault.url, "--outputs", writeOutputsFile(s)]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("--vault-uri cannot be combined with --stack or --outputs");
      expect(s.vault.requests).toEqual([]);
      expect(s.entra.tokenRequests).toEqual([]);
    });

    it.each(["soon", "-1", "3601", "1.5"])("exits 2 for --access-wait %s and shows the allowed range", async (value) => {
      const result = await refresh(["--outputs", writeOutputsFile(s), "--access-wait", value]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("--access-wait must be a whole number from 0 to 3600");
    });

    it("reports several problems together in one run", async () => {
      const result = await refresh(["--vault-uri", "http://kv.example.invalid/", "--stack", "dev", "--access-wait", "later", "--authority-host", "login.example.invalid", "--json"]);

      expect(result.code).toBe(2);
      const doc = jsonStdout(result);
      expect(doc).toMatchObject({ ok: false, error: { code: "invalid_options" } });
      const message = String((doc.error as { message: string }).message);
      for (const expected of ["--access-wait must be a whole number", "--vault-uri cannot be combined", "--vault-uri must be an https URL", "--authority-host must be an https URL"]) {
        expect(message).toContain(expected);
      }
      expect(result.stderr).toContain("--help");
    });

    it("exits 2 and names the option for an unknown option", async () => {
      const result = await refresh(["--vault", s.vault.url]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("--vault");
    });

    it("exits 2 for an outputs file that does not exist", async () => {
      const result = await refresh(["--outputs", "/nonexistent/stack.outputs.json"]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("does not exist");
    });
  });

  it("lists in --help every option the README's refresh table documents, and the exit codes", async () => {
    const result = await refresh(["--help"]);

    expect(result.code).toBe(0);
    const flags = documentedFlags("npm run refresh");
    expect(flags).toEqual(expect.arrayContaining(["--stack", "--outputs", "--vault-uri", "--authority-host", "--partner-center-endpoint", "--access-wait", "--no-verify", "--json"]));
    for (const flag of flags) expect(result.stdout).toMatch(new RegExp(`${flag}\\b`));
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*\b3\b/);
  });
});

describe("refresh output", () => {
  it("never contains a stored secret, a refresh token or an access token", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
