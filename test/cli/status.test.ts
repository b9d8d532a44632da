/**
 * `npm run status` end to end: the built command reading the Key Vault
 * stand-in's secret metadata, as a child process with the stand-in's managed
 * identity. It must redeem nothing and write nothing.
 */
import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  documentedFlags,
  docSection,
  seedRefreshToken,
  writeOutputsFile,
} from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
/** Every stand-in set this file started, for the final "no secret printed" check. */
// These tests are about the client secret: the app authenticates with one (appCredential: secret).
const allStandIns = freshStandInsPerTest((started) => (s = started), { appCredential: "secret" });

type Json = Record<string, unknown>;

interface StatusRun {
  result: CliResult;
  report: Json;
}

const names = () => s.outputs.secretNames;
const fromNow = (days: number, extraMs = 0) => new Date(Date.now() + days * DAY_MS + extraMs);
/** One hour of slack, so whole-day counts do not depend on how long the command takes. */
const HOUR_MS = 60 * 60 * 1000;

function status(args: string[] = []): Promise<CliResult> {
  return runCli("status", ["--outputs", writeOutputsFile(s), ...args], s.childEnv());
}

/** Runs `status --json` and parses the report. */
async function statusJson(args: string[] = []): Promise<StatusRun> {
  const result = await status(["--json", ...args]);
  return { result, report: jsonStdout(result) };
}

/** The JSON example in the README's status section. */
function documentedReport(): Json {
  const block = /```json\n([\s\S]*?)\n```/.exec(docSection("npm run status"))?.[1];
  if (!block) throw new Error("README's status section has no JSON example");
  return JSON.parse(block) as Json;
}

const sortedKeys = (value: unknown) => Object.keys(value as Json).sort();

describe("npm run status", () => {
  it("exits 0 and reports every documented field for a healthy vault", async () => {
    const seeded = seedRefreshToken(s, { tags: { refreshedAt: new Date(Date.now() - 2 * DAY_MS).toISOString() } });
    const before = Date.now();

    const { result, report } = await statusJson();

    expect(result.code, result.stderr).toBe(0);
    const documented = documentedReport();
    expect(sortedKeys(report)).toEqual(sortedKeys(documented));
    expect(sortedKeys(report.clientSecret)).toEqual(sortedKeys(documented.clientSecret));
    expect(sortedKeys(report.refreshToken)).toEqual(sortedKeys(documented.refreshToken));
    expect(report).toMatchObject({
      ok: true,
      healthy: true,
      keyVaultUri: s.vault.url,
      vaultReachable: true,
      warnDays: 14,
      clientId: { name: names().clientId, present: true },
      tenantId: { name: names().tenantId, present: true },
      clientSecret: { name: names().clientSecret, present: true, state: "ok", daysToExpiry: 199 },
      refreshToken: {
        name: names().refreshToken,
        present: true,
        state: "ok",
        daysToExpiry: 89,
        expirySource: "attribute",
        consentedBy: s.users.admin.username,
        consentedAt: seeded.tags.consentedAt,
        refreshedAt: seeded.tags.refreshedAt,
        lastWrittenAt: s.vault.latest(names().refreshToken)?.updatedOn?.toISOString(),
        mfa: true,
      },
      actions: [],
    });
    const checkedAt = Date.parse(String(report.checkedAt));
    expect(checkedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(checkedAt).toBeLessThanOrEqual(Date.now());
    const clientSecretExpiry = Date.parse(String((report.clientSecret as Json).expiresOn));
    expect(Math.abs(clientSecretExpiry - Date.parse(s.outputs.clientSecretExpiresAt!))).toBeLessThan(1000);
    expect((report.refreshToken as Json).expiresOn).toBe(s.vault.latest(names().refreshToken)?.expiresOn?.toISOString());
  });

  it("says in its human output who consented and when, when the token was refreshed, whether MFA was used, and that all is healthy", async () => {
    const seeded = seedRefreshToken(s);

    const result = await status();

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Key Vault ${s.vault.url}: reachable`);
    expect(result.stdout).toContain(`consented by ${seeded.tags.consentedBy} at ${seeded.tags.consentedAt}`);
    expect(result.stdout).toContain("MFA at consent: yes");
    expect(result.stdout).toContain(`last refreshed ${seeded.tags.refreshedAt}`);
    expect(result.stdout).toContain(`last written to the vault ${s.vault.latest(names().refreshToken)!.updatedOn.toISOString()}`);
    expect(result.stdout).toMatch(/Client secret: ok, expires \S+ \(199 days\)/);
    expect(result.stdout).toContain("Healthy");
  });

  it("finds the vault through --vault-uri alone, with the default secret names", async () => {
    seedRefreshToken(s);

    const result = await runCli("status", ["--vault-uri", s.vault.url, "--json"], s.childEnv());

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ healthy: true, keyVaultUri: s.vault.url, refreshToken: { name: "partnercenter-refresh-token", present: true } });
  });

  it("reads only secret metadata: it redeems nothing, writes nothing and reads no secret value", async () => {
    seedRefreshToken(s, { expiresOn: fromNow(3) });
    const tokenRequests = s.entra.tokenRequests.length;

    const result = await status();

    expect(result.code, result.stderr).toBe(3);
    expect(s.entra.tokenRequests).toHaveLength(tokenRequests);
    expect(s.vault.writes).toEqual([]);
    expect(s.partnerCenter.calls).toEqual([]);
    expect(s.vault.requests.length).toBeGreaterThan(0);
    for (const request of s.vault.requests) expect(request.path).toMatch(/^\/secrets\/?$/);
  });

  describe("a refresh token about to expire", () => {
    it("exits 3 and says to run `npm run refresh` when it expires within the default 14 days", async () => {
      seedRefreshToken(s, { expiresOn: fromNow(5, HOUR_MS) });

      const { result, report } = await statusJson();

      expect(result.code).toBe(3);
      expect(report).toMatchObject({ ok: true, healthy: false, refreshToken: { state: "expiring", daysToExpiry: 5 } });
      expect(report.actions).toEqual([{ secret: names().refreshToken, problem: expect.stringContaining("expires in 5 day(s)"), fix: "partner-center-sam refresh" }]);
      expect(sortedKeys((report.actions as Json[])[0])).toEqual(sortedKeys((documentedReport().actions as Json[])[0]));
    });

    it("names the secret and the fix in its human output", async () => {
      seedRefreshToken(s, { expiresOn: fromNow(5, HOUR_MS) });

      const result = await status();

      expect(result.code).toBe(3);
      expect(result.stdout).toContain(`! ${names().refreshToken}: expires in 5 day(s)`);
      expect(result.stdout).toContain("Fix: partner-center-sam refresh");
      expect(result.stdout).not.toContain("Healthy");
    });

    it("exits 0 when it expires after --warn-days", async () => {
      seedRefreshToken(s, { expiresOn: fromNow(5, HOUR_MS) });

      const { result, report } = await statusJson(["--warn-days", "3"]);

      expect(result.code, result.stderr).toBe(0);
      expect(report).toMatchObject({ healthy: true, warnDays: 3, refreshToken: { state: "ok", daysToExpiry: 5 }, actions: [] });
    });

    it("counts --warn-days inclusively: a token with exactly N whole days left needs attention", async () => {
      seedRefreshToken(s, { expiresOn: fromNow(5, HOUR_MS) });

      expect((await statusJson(["--warn-days", "5"])).result.code).toBe(3);
      expect((await statusJson(["--warn-days", "4"])).result.code).toBe(0);
    });
  });

  it("exits 3 and says to run `npm run bootstrap` when the refresh token has expired", async () => {
    seedRefreshToken(s, { expiresOn: fromNow(-2, HOUR_MS) });

    const { result, report } = await statusJson();

    expect(result.code).toBe(3);
    expect(report).toMatchObject({ healthy: false, refreshToken: { present: true, state: "expired", daysToExpiry: -2 } });
    expect(report.actions).toEqual([{ secret: names().refreshToken, problem: expect.stringMatching(/^expired on /), fix: "partner-center-sam bootstrap" }]);
  });

  it("exits 3 and says to run `npm run bootstrap` when the refresh-token secret is disabled", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.setSecret(names().refreshToken, seeded.token, { enabled: false, tags: { ...seeded.tags }, expiresOn: fromNow(60) });

    const { result, report } = await statusJson();

    expect(result.code).toBe(3);
    expect(report).toMatchObject({ refreshToken: { present: true, state: "disabled" } });
    expect(report.actions).toEqual([{ secret: names().refreshToken, problem: "disabled", fix: "partner-center-sam bootstrap" }]);
  });

  it("exits 3 and says to run `npm run bootstrap` when no refresh token is stored", async () => {
    const { result, report } = await statusJson();

    expect(result.code).toBe(3);
    expect(report).toMatchObject({
      healthy: false,
      refreshToken: { name: names().refreshToken, present: false, state: "missing", expiresOn: null, daysToExpiry: null, expirySource: null, consentedBy: null, mfa: null },
    });
    expect(report.actions).toEqual([{ secret: names().refreshToken, problem: "missing", fix: "partner-center-sam bootstrap" }]);
  });

  it("exits 3 and names the client secret and `pulumi up` when the client secret expires soon", async () => {
    seedRefreshToken(s);
    s.vault.setSecret(names().clientSecret!, s.clientSecret!, { contentType: "text/plain", expiresOn: fromNow(3, HOUR_MS) });

    const run = await statusJson();
    const human = await status();

    expect(run.result.code).toBe(3);
    expect(run.report).toMatchObject({ clientSecret: { state: "expiring", daysToExpiry: 3 }, refreshToken: { state: "ok" } });
    expect(run.report.actions).toEqual([{ secret: names().clientSecret, problem: expect.stringContaining("expires in 3 day(s)"), fix: expect.stringContaining("pulumi up") }]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(new RegExp(`! ${names().clientSecret}: expires in 3 day\\(s\\).*Fix: pulumi up`));
  });

  it("exits 3 and says to run `pulumi up` when the client id secret is missing", async () => {
    const bare = await startStandIns({ seedVault: false, appCredential: "secret" });
    try {
      bare.vault.setSecret(bare.outputs.secretNames.tenantId, bare.tenantId);
      bare.vault.setSecret(bare.outputs.secretNames.clientSecret!, bare.clientSecret!, { expiresOn: fromNow(100) });
      seedRefreshToken(bare);
      allStandIns.push(bare);

      const result = await runCli("status", ["--outputs", writeOutputsFile(bare), "--json"], bare.childEnv());

      expect(result.code).toBe(3);
      const report = jsonStdout(result);
      expect(report).toMatchObject({ clientId: { present: false }, tenantId: { present: true } });
      expect(report.actions).toEqual([{ secret: bare.outputs.secretNames.clientId, problem: "missing", fix: "pulumi up" }]);
    } finally {
      await bare.stop();
    }
  });

  it("estimates a refresh token's expiry as its last write plus 90 days when it has no expiresOn", async () => {
    const updatedOn = fromNow(-80, HOUR_MS);
    seedRefreshToken(s, { expiresOn: null, updatedOn });

    const { result, report } = await statusJson();

    expect(result.code).toBe(3);
    const expected = new Date(Math.floor(updatedOn.getTime() / 1000) * 1000 + 90 * DAY_MS);
    expect(report.refreshToken).toMatchObject({ state: "expiring", expirySource: "lastWrite", expiresOn: expected.toISOString(), daysToExpiry: 10 });
    expect(report.actions).toEqual([expect.objectContaining({ secret: names().refreshToken, fix: "partner-center-sam refresh" })]);
    const human = await status();
    expect(human.stdout).toContain("expiry estimated from the last write + 90 days");
  });

  describe("when the vault cannot be read", () => {
    it("exits 1 and says the vault could not be reached", async () => {
      const outputs = writeOutputsFile(s);
      await s.vault.stop();

      const result = await runCli("status", ["--outputs", outputs, "--json"], s.childEnv());

      expect(result.code).toBe(1);
      expect(jsonStdout(result)).toMatchObject({ ok: false, error: { code: "vault_unreachable", message: expect.stringContaining(s.outputs.keyVaultUri) } });
      expect(result.stderr).toContain("could not be reached");
    });

    it("exits 1 and names the role to grant when the identity may not read the vault", async () => {
      seedRefreshToken(s);
      s.vault.revoke(s.entra.managedIdentityObjectId);

      const result = await status();

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/denied read access.*\(403\)/);
      expect(result.stderr).toContain("Key Vault Secrets User");
    });
  });

  it("exits 2 for a --warn-days that is not a whole number", async () => {
    const result = await status(["--warn-days", "two weeks"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--warn-days must be a whole number");
  });

  it("lists in --help every option the README's status table documents", async () => {
    const result = await runCli("status", ["--help"], s.childEnv());

    expect(result.code).toBe(0);
    const flags = documentedFlags("npm run status");
    expect(flags).toEqual(expect.arrayContaining(["--stack", "--outputs", "--vault-uri", "--warn-days", "--access-wait", "--json"]));
    for (const flag of flags) expect(result.stdout).toMatch(new RegExp(`${flag}\\b`));
  });
});

describe("status output", () => {
  it("never contains a stored secret or anything token-shaped", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
