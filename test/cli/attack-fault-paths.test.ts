/**
 * What an attack on the commands found (issue 14's appendix), end to end: a
 * Key Vault answer cut off mid-body, and a "vault" that answers with a bearer
 * challenge for another resource. The built commands run as child processes
 * against the stand-ins; nothing secret may be printed, and no message may
 * advise turning a security check off.
 */
import type http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LoopbackServer } from "../../emulator/http";
import { refreshTokenSnapshot, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { testTls } from "../support/global-setup";
import { runCli } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
const allStandIns = freshStandInsPerTest((started) => (s = started));

const refreshTokenName = () => s.outputs.secretNames.refreshToken;

describe("a Key Vault answer cut off mid-body while a secret is read", () => {
  it("refresh names the unreadable answer without printing the stored refresh token, in text", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(50, "truncate", { method: "GET", name: refreshTokenName() });
    const before = refreshTokenSnapshot(s);

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--timeout", "4", "--access-wait", "0"], s.childEnv());

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/sent an answer for "partnercenter-refresh-token" that could not be read \(cut off, or not valid JSON\)/);
    expect(result.stderr).toContain("Next: Check for a proxy or gateway");
    expect(`${result.stdout}${result.stderr}`).not.toContain(seeded.token.slice(0, 24));
    expect(result.stderr).not.toContain("occurred while parsing");
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("refresh --json says the same in its error document, and neither stream holds the token", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(50, "truncate", { method: "GET", name: refreshTokenName() });

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--timeout", "4", "--access-wait", "0", "--json"], s.childEnv());

    expect(result.code, result.stderr).toBe(1);
    expect(jsonStdout(result)).toMatchObject({ ok: false, error: { code: "vault_error", message: expect.stringContaining("could not be read") } });
    expect(`${result.stdout}${result.stderr}`).not.toContain(seeded.token.slice(0, 24));
  });

  it("refresh rides out one cut-off answer: the read is tried again and the rotated token is stored", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, "truncate", { method: "GET", name: refreshTokenName() });

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--timeout", "8", "--access-wait", "0", "--no-verify"], s.childEnv());

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Key Vault sent an answer that was cut off; retrying");
    expect(s.vault.latest(refreshTokenName())?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });

  it("a cut-off read of the app's credential (its certificate and key) does not print it either", async () => {
    seedRefreshToken(s);
    const name = s.outputs.secretNames.clientCertificate!;
    const stored = s.vault.latest(name)!.value;
    s.vault.failNext(50, "truncate", { method: "GET", name });

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--timeout", "4", "--access-wait", "0"], s.childEnv());

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`sent an answer for "${name}" that could not be read`);
    const key = stored.split("\n").find((line) => /^[A-Za-z0-9+/]{40,}$/.test(line))!;
    expect(`${result.stdout}${result.stderr}`).not.toContain(key.slice(0, 24));
  });
});

describe("a vault URI whose server answers with a bearer challenge for another resource", () => {
  let impostor: LoopbackServer;
  const held: http.ServerResponse[] = [];

  beforeEach(async () => {
    impostor = new LoopbackServer((_req, res) => {
      // Key Vault's challenge shape (authorization + resource), for a resource that is not a Key Vault domain.
      res.writeHead(401, { "www-authenticate": 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://management.azure.com"' });
      res.end();
    }, testTls());
    await impostor.start();
  });

  afterEach(async () => {
    for (const res of held.splice(0)) res.destroy();
    await impostor.stop();
  });

  it("status explains the mismatch with its own code and never suggests disabling the check", async () => {
    const result = await runCli("status", ["--vault-uri", `https://localhost:${impostor.port}`, "--timeout", "5", "--json"], s.childEnv());

    expect(result.code, result.stderr).toBe(1);
    const error = jsonStdout(result).error as { code: string; message: string; hint: string };
    expect(error.code).toBe("vault_challenge_mismatch");
    expect(error.message).toContain('asked for a token for "management.azure.com", which is not this vault\'s domain, so no token was sent');
    expect(error.message).toMatch(/not a Key Vault of this cloud[\s\S]*answers in its place/);
    expect(error.hint).toContain("vault URI");
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/disableChallengeResourceVerification|could not be reached|to disable/i);
  });

  it("refresh says the same in text", async () => {
    const result = await runCli("refresh", ["--vault-uri", `https://localhost:${impostor.port}`, "--timeout", "5", "--access-wait", "0"], s.childEnv());

    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("which is not this vault's domain");
    expect(result.stderr).not.toMatch(/disableChallengeResourceVerification/);
  });
});

describe("MFA as the tokens say it, not as a tag remembers it", () => {
  let n: StandIns;
  beforeEach(async () => {
    n = await startStandIns({ nonMfaUser: true });
    allStandIns.push(n);
  });
  afterEach(async () => {
    await n.stop();
  });

  it("refresh --json reports mfa: false from the new token's amr when the stored tag says true, and corrects the tag", async () => {
    n.emulator.storeRefreshToken({ user: n.users.nonMfa!.username, tags: { mfa: "true" } });

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(n), "--timeout", "8", "--access-wait", "0", "--no-verify", "--json"], n.childEnv());

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ ok: true, mfa: false });
    expect(n.vault.latest(n.outputs.secretNames.refreshToken)?.tags.mfa).toBe("false");
  });

  it("refresh --json reports mfa: true when the tokens name MFA, whatever the stored tag said", async () => {
    n.emulator.storeRefreshToken({ user: n.users.admin.username, tags: { mfa: "false" } });

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(n), "--timeout", "8", "--access-wait", "0", "--json"], n.childEnv());

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ ok: true, mfa: true, verified: true });
    expect(n.vault.latest(n.outputs.secretNames.refreshToken)?.tags.mfa).toBe("true");
  });

  it("status exits 3 with the bootstrap as the fix for a token consented without MFA (bootstrap --allow-no-mfa)", async () => {
    n.emulator.storeRefreshToken({ user: n.users.nonMfa!.username, tags: { mfa: "false" } });

    const result = await runCli("status", ["--outputs", writeOutputsFile(n)], n.childEnv());

    expect(result.code, result.stdout).toBe(3);
    expect(result.stdout).not.toContain("Healthy");
    expect(result.stdout).toMatch(/without MFA[\s\S]*900421[\s\S]*Fix: partner-center-sam bootstrap/);
  });
});

describe("the attack cases", () => {
  it("printed no secret of any stand-in", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
