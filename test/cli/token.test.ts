/**
 * `npm run --silent token` end to end: the built command against the Entra ID,
 * Key Vault and Partner Center stand-ins, as a child process. stdout carries the
 * access token and nothing else; the rotated refresh token lands in the vault.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentedFlags, leakedSecrets, refreshTokenSnapshot, seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import { freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, startCli, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
freshStandInsPerTest((started) => (s = started));

const GRAPH_AUDIENCE = "https://graph.microsoft.com";

function token(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli("token", args, s.childEnv(extraEnv));
}

/** A seed written two days ago: the daily write-back rule writes the rotated token over it. */
const TWO_DAYS_AGO = () => new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);

/** The refresh token the vault holds now is the newest one Entra ID issued, and differs from `seeded`. */
function expectNewestStored(seeded: string): void {
  const latest = s.vault.latest(s.outputs.secretNames.refreshToken);
  expect(latest?.value).not.toBe(seeded);
  expect(latest?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
}

describe("npm run --silent token", () => {
  it("prints exactly the Partner Center access token and a newline on stdout, and nothing on a stderr that is not a terminal", async () => {
    const seeded = seedRefreshToken(s, { updatedOn: TWO_DAYS_AGO() });

    const result = await token(["--outputs", writeOutputsFile(s)]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(result.stderr).toBe("");
    const accessToken = result.stdout.slice(0, -1);
    const claims = s.entra.verifyAccessToken(accessToken, { audience: s.partnerCenter.resource, tenantId: s.tenantId });
    expect(String(claims.tid)).toBe(s.tenantId);
    expectNewestStored(seeded.token);
  });

  it("hands out a token Partner Center accepts", async () => {
    seedRefreshToken(s);

    const result = await token(vaultUriArgs(s));

    expect(result.code, result.stderr).toBe(0);
    const response = await fetch(`${s.partnerCenter.url}/v1/profiles/organization`, { headers: { authorization: `Bearer ${result.stdout.trim()}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { companyName: string }).companyName).toBe(s.partnerCenter.organization.companyName);
  });

  it("prints { accessToken, tokenType, expiresOn, tenantId, scopes } with --json", async () => {
    seedRefreshToken(s);
    const startedAt = Date.now();

    const result = await token(["--outputs", writeOutputsFile(s), "--json"]);

    expect(result.code, result.stderr).toBe(0);
    const document = jsonStdout(result);
    expect(Object.keys(document).sort()).toEqual(["accessToken", "expiresOn", "scopes", "tenantId", "tokenType"]);
    expect(document).toMatchObject({ tokenType: "Bearer", tenantId: s.tenantId });
    expect(document.scopes).toEqual([expect.stringContaining("user_impersonation")]);
    expect(Date.parse(document.expiresOn as string)).toBeGreaterThan(startedAt);
    expect(() => s.entra.verifyAccessToken(document.accessToken as string, { audience: s.partnerCenter.resource })).not.toThrow();
  });

  it.each([
    ["graph", GRAPH_AUDIENCE],
    ["https://graph.microsoft.com/.default", GRAPH_AUDIENCE],
  ])("gets a Microsoft Graph token for --scope %s, and still stores the rotated refresh token", async (scope, audience) => {
    const seeded = seedRefreshToken(s, { updatedOn: TWO_DAYS_AGO() });

    const result = await token([...vaultUriArgs(s), "--scope", scope]);

    expect(result.code, result.stderr).toBe(0);
    expect(() => s.entra.verifyAccessToken(result.stdout.trim(), { audience })).not.toThrow();
    expect(() => s.entra.verifyAccessToken(result.stdout.trim(), { audience: s.partnerCenter.resource })).toThrow(/audience/i);
    expect(s.entra.tokenRequests.at(-1)?.scope).toContain("https://graph.microsoft.com/.default");
    expectNewestStored(seeded.token);
  });

  it("takes --scope partner-center as the default scope", async () => {
    seedRefreshToken(s);

    const result = await token([...vaultUriArgs(s), "--scope", "partner-center"]);

    expect(result.code, result.stderr).toBe(0);
    expect(() => s.entra.verifyAccessToken(result.stdout.trim(), { audience: s.partnerCenter.resource })).not.toThrow();
  });

  it("exits 3 and says to run the bootstrap when no refresh token is stored, printing nothing on stdout", async () => {
    const result = await token(["--outputs", writeOutputsFile(s)]);

    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("No refresh token is stored");
    expect(result.stderr).toContain("partner-center-sam bootstrap");
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("reports a missing refresh token as one JSON document with --json", async () => {
    const result = await token(["--outputs", writeOutputsFile(s), "--json"]);

    expect(result.code).toBe(3);
    expect(jsonStdout(result)).toMatchObject({ ok: false, error: { code: "consent_required" } });
  });

  it.each([
    ["a bare word", ["--scope", "User.Read"], /--scope must be graph, partner-center or a full scope URI/],
    ["an http scope", ["--scope", "http://graph.microsoft.com/.default"], /--scope must be/],
    ["an empty scope", ["--scope", ""], /--scope must be/],
    ["a scope with a space", ["--scope", "https://graph.microsoft.com/.default openid"], /--scope must be/],
    ["a tenant that is neither a GUID nor a domain", ["--tenant", "not a tenant"], /--tenant must be a tenant id \(a GUID\) or a verified domain/],
  ])("exits 2 before touching the vault for %s", async (_case, args, message) => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);

    const result = await token([...vaultUriArgs(s), ...args]);

    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Next:");
    expect(s.entra.tokenRequests).toEqual([]);
    expect(refreshTokenSnapshot(s)).toEqual(before);
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)?.value).toBe(seeded.token);
  });

  it("prints no secret on stderr, on success or failure", async () => {
    seedRefreshToken(s);
    const runs = [await token(vaultUriArgs(s)), await token([...vaultUriArgs(s), "--json"]), await token([...vaultUriArgs(s), "--scope", "graph"])];
    s.vault.setSecret(s.outputs.secretNames.refreshToken, "1.A" + "x".repeat(60), {});
    runs.push(await token(vaultUriArgs(s)));

    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, expect.any(Number)]);
    expect(leakedSecrets(s, runs.map((r) => r.stderr))).toEqual([]);
  });
});

describe("npm run token, cancelled", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("exits %s's code when stopped while Entra ID has not answered, printing no token and leaving the stored one", async (signal, exitCode) => {
    const seeded = seedRefreshToken(s);
    const release = s.entra.holdTokenResponses();
    try {
      const cli = startCli("token", vaultUriArgs(s), s.childEnv());
      cli.child.stdin.end();
      await expect.poll(() => s.entra.heldTokenRequests, { timeout: 15_000 }).toBe(1);
      cli.child.kill(signal);
      const result = await cli.done;

      expect(result.code, result.stderr).toBe(exitCode);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`Cancelled by ${signal} before an access token was printed`);
      expect(s.vault.latest(s.outputs.secretNames.refreshToken)?.value).toBe(seeded.token);
      expect(leakedSecrets(s, [result.stderr])).toEqual([]);
    } finally {
      release();
    }
  });
});

describe("the README's token section", () => {
  it("documents only options `token --help` lists", async () => {
    const flags = documentedFlags("## Access tokens for other tools");
    expect(flags).toEqual(expect.arrayContaining(["--scope", "--tenant", "--json"]));
    const help = await runCli("token", ["--help"], { PATH: process.env.PATH });
    for (const flag of flags) expect(help.stdout, `token --help lists ${flag}`).toMatch(new RegExp(`^  ${flag}[ ,<]`, "m"));
  });
});

describe("npm run --silent token -- --tenant (customer tenants, GDAP)", () => {
  let c: StandIns;
  beforeAll(async () => {
    c = await startStandIns({
      customers: [
        { domain: "fabrikam.onmicrosoft.com", consented: true, gdap: true },
        { domain: "unconsented.onmicrosoft.com", gdap: true },
        { domain: "no-gdap.onmicrosoft.com", consented: true },
      ],
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const customerToken = (args: string[]) => runCli("token", [...vaultUriArgs(c), ...args], c.childEnv());

  it("prints a token issued in the customer tenant and leaves the partner's stored refresh token as it was", async () => {
    const seeded = seedRefreshToken(c);
    const before = refreshTokenSnapshot(c);

    const result = await customerToken(["--tenant", "fabrikam.onmicrosoft.com", "--scope", "graph", "--json"]);

    expect(result.code, result.stderr).toBe(0);
    const document = jsonStdout(result);
    expect(document.tenantId).toBe(c.customers[0]!.tenantId);
    const claims = c.entra.verifyAccessToken(document.accessToken as string, { audience: GRAPH_AUDIENCE, tenantId: c.customers[0]!.tenantId });
    expect(String(claims.tid)).toBe(c.customers[0]!.tenantId);
    expect(refreshTokenSnapshot(c)).toEqual(before);
    expect(c.vault.latest(c.outputs.secretNames.refreshToken)?.value).toBe(seeded.token);
  });

  it.each([
    ["the app is not consented there", "unconsented.onmicrosoft.com", /consent/i],
    ["the user has no GDAP role there", "no-gdap.onmicrosoft.com", /GDAP/],
  ])("exits 3 with its own message when %s", async (_case, tenant, message) => {
    seedRefreshToken(c);

    const result = await customerToken(["--tenant", tenant, "--scope", "graph"]);

    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Next:");
    expect(leakedSecrets(c, [result.stderr])).toEqual([]);
  });
});
