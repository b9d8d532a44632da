/**
 * A valid MFA sign-in is never thrown away because Partner Center could not be
 * asked to the end: the bootstrap stores the refresh token, says the
 * verification is pending and how to verify later, and exits 3. Runs the
 * command's run function in-process, so the verification's time limit
 * (`verifyTimeoutMs`) can be small; the browser is the emulator's sign-in.
 */
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bootstrapRun } from "../../bootstrap/src/cli/bootstrap";
import { Reporter } from "../../bootstrap/src/cli/reporter";
import { leakedSecrets, writeOutputsFile } from "../support/fixtures";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
beforeEach(async () => {
  s = await startStandIns();
});
afterEach(async () => {
  await s.stop();
});

function bootstrap(extra: { verify?: boolean; verifyTimeoutMs?: number } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
  const run = bootstrapRun({
    source: { outputsFile: writeOutputsFile(s) },
    credential: s.entra.credential(),
    accessWaitMs: 0,
    timeoutMs: 30_000,
    noBrowser: false,
    allowNoMfa: false,
    verify: extra.verify ?? true,
    verifyTimeoutMs: extra.verifyTimeoutMs,
    openBrowser: (url) => s.emulator.signIn({ url }),
    // A machine with a display: this test is about verification, not about finding a browser.
    environment: { env: { DISPLAY: ":0" }, platform: "linux" },
    input: new PassThrough(),
    reporter: new Reporter({ json: true, stdout, stderr }),
  });
  return run.then((code) => ({ code, stdout: out.join(""), stderr: err.join("") }));
}

describe("bootstrap when Partner Center's check cannot finish", () => {
  it("stores the MFA-backed token after a Partner Center that never answers, says verification is pending and exits 3", async () => {
    s.partnerCenter.failNext(50, "hang");
    const started = Date.now();

    const result = await bootstrap({ verifyTimeoutMs: 1500 });

    expect(result.code, result.stderr).toBe(3);
    // One attempt's time limit is the whole budget: not four attempts of it.
    expect(Date.now() - started).toBeLessThan(15_000);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document).toMatchObject({ ok: true, mfa: true, verified: false, verification: "pending", verificationError: { code: "partner_center_unreachable" } });
    expect((document.verificationError as { message: string }).message).toMatch(/no answer within 2 s|no answer within 1 s/);
    expect(result.stderr).toMatch(/Partner Center could not verify the token[\s\S]*stored all the same/);
    const stored = s.vault.latest(s.outputs.secretNames.refreshToken);
    expect(stored?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
    expect(stored?.tags.mfa).toBe("true");
    expect(leakedSecrets(s, [result.stdout, result.stderr])).toEqual([]);
  });

  it("says how to verify later in the human output", async () => {
    s.partnerCenter.failNext(50, 503);
    const stdout = new PassThrough();
    const lines: string[] = [];
    stdout.on("data", (chunk: Buffer) => lines.push(chunk.toString()));

    const code = await bootstrapRun({
      source: { outputsFile: writeOutputsFile(s) },
      credential: s.entra.credential(),
      accessWaitMs: 0,
      timeoutMs: 30_000,
      noBrowser: false,
      allowNoMfa: false,
      verify: true,
      verifyTimeoutMs: 1000,
      openBrowser: (url) => s.emulator.signIn({ url }),
      environment: { env: { DISPLAY: ":0" }, platform: "linux" },
      input: new PassThrough(),
      reporter: new Reporter({ json: false, stdout, stderr: new PassThrough() }),
    });

    expect(code).toBe(3);
    expect(lines.join("")).toMatch(/Verification pending: Partner Center could not check the token \(partner_center_error\)\. Verify it later with `partner-center-sam status --probe`/);
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)).toBeDefined();
  });

  it("still stores nothing when Partner Center refuses the token", async () => {
    s.partnerCenter.failNext(1, 401);

    const result = await bootstrap({ verifyTimeoutMs: 1500 }).catch((error: unknown) => error);

    expect(result).toMatchObject({ code: "partner_center_rejected", exitCode: 3 });
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)).toBeUndefined();
  });

  it("exits 0 with verification passed when Partner Center answers", async () => {
    const result = await bootstrap();
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verified: true, verification: "passed", verificationError: null });
  });
});
