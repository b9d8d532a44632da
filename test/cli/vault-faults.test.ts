/**
 * `status` and `refresh` against what the real Key Vault answers and the
 * stand-in used not to: a firewall refusal, soft-deleted secrets, throttling
 * without Retry-After, 5xx, dropped connections and a vault that never answers.
 */
import { describe, expect, it } from "vitest";
import { refreshTokenSnapshot, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, startCli, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
// These tests are about the client secret: the app authenticates with one (appCredential: secret).
const allStandIns = freshStandInsPerTest((started) => (s = started), { appCredential: "secret" });

const CLIENT_ADDRESS = "203.0.113.45";
const names = () => s.outputs.secretNames;

function status(args: string[] = []): Promise<CliResult> {
  return runCli("status", ["--outputs", writeOutputsFile(s), ...args], s.childEnv());
}

function refresh(args: string[] = []): Promise<CliResult> {
  return runCli("refresh", ["--outputs", writeOutputsFile(s), ...args], s.childEnv());
}

/** Requests the vault answered, as "METHOD status". */
const answered = () => s.vault.requests.filter((r) => r.authenticated).map((r) => `${r.method} ${r.status}`);

describe("a vault firewall that refuses this machine (403 ForbiddenByFirewall)", () => {
  it("makes status exit 1 at once, quoting the client address and the allowedIpRanges fix, without waiting for --access-wait", async () => {
    seedRefreshToken(s);
    s.vault.setFirewall(CLIENT_ADDRESS);

    const result = await status(["--access-wait", "600", "--json"]);

    expect(result.code).toBe(1);
    const doc = jsonStdout(result);
    expect(doc).toMatchObject({ ok: false, error: { code: "vault_firewall", message: expect.stringContaining(`client address ${CLIENT_ADDRESS}`) } });
    const hint = String((doc.error as { hint: string }).hint);
    expect(hint).toContain(`pulumi config set --path 'partner-center-sam:allowedIpRanges[N]' ${CLIENT_ADDRESS}`);
    expect(hint).toContain("pulumi up");
    expect(hint).toContain("allowed");
    expect(result.stderr).not.toContain("retrying");
    expect(result.stderr).not.toContain("role");
    expect(answered()).toEqual(["GET 403"]);
  });

  it("makes refresh exit 1 before asking Entra ID for anything, and leaves the vault as it was", async () => {
    seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    s.vault.setFirewall(CLIENT_ADDRESS);

    const result = await refresh(["--access-wait", "600"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`client address ${CLIENT_ADDRESS}`);
    expect(result.stderr).toContain("allowedIpRanges");
    expect(result.stderr).not.toContain("retrying");
    expect(s.entra.tokenRequests).toEqual([]);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("still treats a 403 ForbiddenByRbac as a role assignment propagating, retried within --access-wait", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, 403);

    const result = await status(["--access-wait", "10"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/denied access \(403\)\. New role assignments can take minutes to apply; retrying in 2 s/);
    expect(answered()).toEqual(["GET 403", "GET 200"]);
  });
});

describe("transient vault failures", () => {
  it("retries a 429 that carries no Retry-After in status, whose --access-wait is 0", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, 429);

    const result = await status(["--json"]);

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ ok: true, healthy: true });
    expect(result.stderr).toContain("Key Vault is throttling (429); retrying in 2 s");
    expect(answered()).toEqual(["GET 429", "GET 200"]);
  });

  it("retries 503 answers with growing waits", async () => {
    seedRefreshToken(s);
    s.vault.failNext(2, 503);

    const result = await status();

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Key Vault answered 503; retrying in 2 s");
    expect(result.stderr).toContain("Key Vault answered 503; retrying in 4 s");
    expect(answered()).toEqual(["GET 503", "GET 503", "GET 200"]);
  });

  it("retries a dropped connection", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, "reset");

    const result = await status();

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Key Vault dropped the connection; retrying in 2 s");
  });

  it("fails at once, saying how long the vault asked to wait, when a Retry-After exceeds what is left of the budget", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, 429, {}, { retryAfterSeconds: 3600 });

    const result = await status(["--json"]);

    expect(result.code).toBe(1);
    expect(jsonStdout(result)).toMatchObject({
      ok: false,
      error: { code: "vault_throttled", message: expect.stringContaining("asked to wait 3600 s"), hint: expect.stringContaining("3600 s") },
    });
    expect(answered()).toEqual(["GET 429"]);
  });

  it("honours a short Retry-After instead of its own backoff", async () => {
    seedRefreshToken(s);
    s.vault.failNext(1, 429, {}, { retryAfterSeconds: 1 });

    const result = await status();

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("retrying in 1 s");
  });

  it("retries a refresh's write-back after a 503 and stores the rotated token", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(1, 503, { method: "PUT" });

    const result = await refresh(["--no-verify"]);

    expect(result.code, result.stderr).toBe(0);
    expect(s.vault.writes.map((w) => w.status)).toEqual([503, 200]);
    expect(s.vault.latest(names().refreshToken)?.value).not.toBe(seeded.token);
    expect(s.vault.latest(names().refreshToken)?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });
});

describe("a vault that accepts the connection and never answers", () => {
  it("makes status fail within its --timeout, naming the vault host and what it was doing", async () => {
    seedRefreshToken(s);
    s.vault.failNext(10, "hang");

    const result = await status(["--timeout", "3", "--json"]);

    expect(result.code).toBe(1);
    const doc = jsonStdout(result);
    expect(doc).toMatchObject({ ok: false, error: { code: "vault_timeout" } });
    const message = String((doc.error as { message: string }).message);
    expect(message).toContain(new URL(s.vault.url).host);
    expect(message).toContain("while listing the secrets of the vault");
    expect(message).toContain("the command's deadline of 3 s passed");
  });

  it("makes refresh say the token WAS redeemed, could not be stored, and that the stored one stays valid — and the next refresh works", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);
    s.vault.failNext(1, "hang", { method: "PUT" });

    const failed = await refresh(["--timeout", "4", "--access-wait", "0", "--no-verify", "--json"]);

    expect(failed.code).toBe(1);
    const doc = jsonStdout(failed);
    expect(doc).toMatchObject({ ok: false, error: { code: "refresh_token_not_stored" } });
    const message = String((doc.error as { message: string }).message);
    expect(message).toContain("WAS redeemed");
    expect(message).toContain("could not be stored");
    expect(message).toContain("did not answer in time");
    expect(message).toContain(`remains valid until its expiry (${s.vault.latest(names().refreshToken)!.expiresOn!.toISOString()})`);
    expect(String((doc.error as { hint: string }).hint)).toContain("partner-center-sam refresh");
    expect(refreshTokenSnapshot(s)).toEqual(before);
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);

    const next = await refresh(["--no-verify"]);

    expect(next.code, next.stderr).toBe(0);
    expect(s.vault.latest(names().refreshToken)?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });

  it("on SIGTERM during the write-back exits 143 and says the token was redeemed but not stored", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(1, "hang", { method: "PUT" });
    const cli = startCli("refresh", ["--outputs", writeOutputsFile(s), "--no-verify"], s.childEnv());
    cli.child.stdin.end();
    await cli.waitForStderr(/Redeeming the refresh token/);
    // The write is in flight once the vault has seen the PUT.
    for (let i = 0; i < 200 && !s.vault.requests.some((r) => r.method === "PUT"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.vault.requests.some((r) => r.method === "PUT")).toBe(true);

    cli.child.kill("SIGTERM");
    const result = await cli.done;

    expect(result.code).toBe(143);
    expect(result.stderr).toContain("WAS redeemed");
    expect(result.stderr).toContain("Cancelled (SIGTERM) while writing");
    expect(result.stderr).toContain("remains valid until");
    expect(s.vault.latest(names().refreshToken)?.value).toBe(seeded.token);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
  });
});

describe("concurrent refresh runs", () => {
  it("all succeed and leave a valid, newest-written token stored", async () => {
    const seeded = seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);

    const results = await Promise.all([1, 2, 3].map(() => refresh(["--no-verify", "--json"])));

    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(s.vault.versions(names().refreshToken)).toHaveLength(before.versionCount + 3);
    // Each run redeemed what it read: the seeded token, or one a faster run had already stored.
    expect(s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token")).toHaveLength(3);
    expect(s.entra.refreshTokenUses(seeded.token)).toBeGreaterThanOrEqual(1);
    const latest = s.vault.latest(names().refreshToken)!;
    expect(latest.value).not.toBe(seeded.token);
    expect(s.entra.isRefreshTokenValid(latest.value)).toBe(true);
    const reported = results.map((r) => String(jsonStdout(r).version));
    expect(reported).toContain(latest.version);
  });
});

describe("soft-deleted secrets", () => {
  it("status reports a deleted refresh token as `deleted` with its purge date and the recover command, and exits 3", async () => {
    seedRefreshToken(s);
    const deleted = s.vault.deleteSecret(names().refreshToken);

    const { code } = await status();
    const result = await status(["--json"]);

    expect(code).toBe(3);
    expect(result.code).toBe(3);
    const report = jsonStdout(result);
    expect(report).toMatchObject({
      healthy: false,
      refreshToken: { name: names().refreshToken, present: false, state: "deleted", scheduledPurgeDate: deleted.scheduledPurgeDate.toISOString() },
    });
    expect(report.actions).toEqual([
      {
        secret: names().refreshToken,
        problem: `deleted, purged on ${deleted.scheduledPurgeDate.toISOString()} unless recovered`,
        fix: `\`az keyvault secret recover --vault-name ${s.vault.name} --name ${names().refreshToken}\`, then \`partner-center-sam refresh\``,
      },
    ]);
  });

  it("status names a deleted app secret in its human output with `pulumi up` after recovery", async () => {
    seedRefreshToken(s);
    const deleted = s.vault.deleteSecret(names().clientSecret!);

    const result = await status();

    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`Client secret: DELETED, purged on ${deleted.scheduledPurgeDate.toISOString()} unless recovered`);
    expect(result.stdout).toContain(`az keyvault secret recover --vault-name ${s.vault.name} --name ${names().clientSecret}\`, then \`pulumi up\``);
  });

  it("status reports `missing`, without a propagation wait, when it may not look at deleted secrets", async () => {
    s.vault.failNext(1, 403, { method: "GET", name: names().refreshToken });

    const result = await status(["--access-wait", "600", "--json"]);

    expect(result.code).toBe(3);
    expect(jsonStdout(result)).toMatchObject({ refreshToken: { state: "missing" } });
    expect(result.stderr).not.toContain("retrying");
    expect(s.vault.requests.filter((r) => r.path === `/deletedsecrets/${names().refreshToken}`).map((r) => r.status)).toEqual([403]);
  });

  it("refresh exits 3 for a deleted refresh-token secret with the recover and purge commands, without asking Entra ID", async () => {
    seedRefreshToken(s);
    s.vault.deleteSecret(names().refreshToken);

    const result = await refresh(["--json"]);

    expect(result.code).toBe(3);
    const doc = jsonStdout(result);
    expect(doc).toMatchObject({ ok: false, error: { code: "refresh_token_deleted", message: expect.stringContaining("is deleted") } });
    const hint = String((doc.error as { hint: string }).hint);
    expect(hint).toContain(`az keyvault secret recover --vault-name ${s.vault.name} --name ${names().refreshToken}`);
    expect(hint).toContain(`az keyvault secret purge --vault-name ${s.vault.name} --name ${names().refreshToken}`);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("refresh exits 1 for a deleted client-secret secret, saying to recover it and run `pulumi up`", async () => {
    seedRefreshToken(s);
    s.vault.deleteSecret(names().clientSecret!);

    const result = await refresh();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The secret "${names().clientSecret}"`);
    expect(result.stderr).toContain("is deleted");
    expect(result.stderr).toMatch(/az keyvault secret recover .*then run `pulumi up`/);
    expect(s.entra.tokenRequests).toEqual([]);
    const json = await refresh(["--json"]);
    expect(json.code).toBe(1);
    expect(jsonStdout(json)).toMatchObject({ ok: false, error: { code: "app_secret_deleted" } });
  });
});

describe("status --probe and the metadata caveat", () => {
  it("says without --probe that its verdict comes from metadata and that a token can end early", async () => {
    seedRefreshToken(s);

    const human = await status();
    const { report } = { report: jsonStdout(await status(["--json"])) };

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("judged from vault metadata");
    expect(human.stdout).toMatch(/password reset, Conditional Access sign-in frequency, admin revocation/);
    expect(human.stdout).toContain("--probe");
    expect(report).toMatchObject({ verdictBasis: "metadata", probe: null });
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("with --probe redeems the stored token once, stores the new one and reports it", async () => {
    const seeded = seedRefreshToken(s);

    const result = await status(["--probe", "--json"]);

    expect(result.code, result.stderr).toBe(0);
    const latest = s.vault.latest(names().refreshToken)!;
    expect(latest.value).not.toBe(seeded.token);
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
    expect(jsonStdout(result)).toMatchObject({
      healthy: true,
      verdictBasis: "probe",
      probe: { ok: true, version: latest.version, refreshedAt: latest.tags.refreshedAt },
      refreshToken: { state: "ok", refreshedAt: latest.tags.refreshedAt },
    });
  });

  it("with --probe exits 3 and says `npm run bootstrap` when Entra ID no longer accepts the token that metadata calls healthy", async () => {
    const seeded = seedRefreshToken(s);
    s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code: 50173 });

    const result = await status(["--probe", "--json"]);

    expect(result.code).toBe(3);
    const report = jsonStdout(result);
    expect(report).toMatchObject({ healthy: false, verdictBasis: "probe", probe: { ok: false, code: "consent_required", message: expect.stringContaining("AADSTS50173") } });
    expect(report.actions).toEqual([expect.objectContaining({ secret: names().refreshToken, fix: "partner-center-sam bootstrap" })]);
    expect(s.vault.latest(names().refreshToken)?.value).toBe(seeded.token);
  });
});

describe("a refresh whose write-back finds the secret deleted (409 ObjectIsDeletedButRecoverable)", () => {
  it("exits 1 saying the token WAS redeemed, that the secret is deleted and how to recover it, and that the stored token stays valid", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(1, 409, { method: "PUT" });

    const result = await refresh(["--no-verify", "--json"]);

    expect(result.code).toBe(1);
    const { code, message, hint } = jsonStdout(result).error as { code: string; message: string; hint: string };
    expect(code).toBe("refresh_token_not_stored");
    expect(message).toContain("WAS redeemed");
    expect(message).toContain("(409 ObjectIsDeletedButRecoverable): the secret is in the deleted state");
    expect(message).toContain("remains valid until its expiry");
    expect(hint).toContain(`az keyvault secret recover --vault-name ${s.vault.name} --name ${names().refreshToken}`);
    expect(hint).toContain("partner-center-sam refresh");
    expect(s.vault.writes.map((w) => w.status)).toEqual([409]);
    expect(s.vault.latest(names().refreshToken)?.value).toBe(seeded.token);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
  });
});

describe("fault output", () => {
  it("never contains a stored secret or anything token-shaped", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
