/**
 * `npm run demo`, unattended as CI runs it: every step, in order, with the
 * exit code it should have, and nothing secret on screen.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoIsUnattended } from "../../emulator";
import { LOOPBACK_ONLY_CJS } from "../support/loopback-guard";
import { runCli, type CliResult } from "../support/run-cli";

const scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-demo-test-"));
const blockedLog = path.join(scratch, "blocked.log");
writeFileSync(blockedLog, "");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** This process's environment without Azure settings, with the loopback-only guard in every Node process the demo starts. */
function demoEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_|NODE_EXTRA_CA_CERTS$)/.test(k)) env[k] = v;
  return { ...env, NODE_OPTIONS: `--require ${LOOPBACK_ONLY_CJS}`, PCSAM_BLOCKED_LOG: blockedLog, ...extra };
}

const STEPS = [
  ["status --outputs ", 3],
  ["status --outputs ", 3],
  ["bootstrap --outputs ", 0],
  ["status --outputs ", 0],
  ["refresh --outputs ", 0],
  ["token --outputs ", 0],
  ["call /v1/customers --outputs ", 0],
  ["customers --outputs ", 3],
  ["call --customers all ", 1],
] as const;

describe("npm run demo", () => {
  let result: CliResult;

  it("runs every step unattended with CI=true and exits 0", async () => {
    result = await runCli("demo", [], demoEnv({ CI: "true" }));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✔ Demo finished in [\d.]+ s: every step behaved as expected\./);
  });

  it("prints each command line before its output, in order", () => {
    const commands = [...result.stdout.matchAll(/^\$ (?:[A-Z_]+=… )*partner-center-sam (.+)$/gm)].map((m) => m[1]);
    expect(result.stdout).toMatch(/^\$ PARTNER_CENTER_SAM_NOTIFY=… partner-center-sam status --outputs /m);
    expect(commands).toHaveLength(STEPS.length);
    STEPS.forEach(([start], i) => expect(commands[i].startsWith(start)).toBe(true));
    // The outputs file the demo wrote, as `pulumi up` would have.
    const file = /--outputs (\S+)/.exec(commands[0])![1];
    expect(result.stdout).toContain(`The stack outputs \`pulumi up\` would have produced are in ${file}`);
    expect(existsSync(file), "removed when the demo ends").toBe(false);
  });

  it("shows each step's own result: missing token, stored token, healthy status, rotation, a hidden token, the customers", () => {
    const text = result.stdout + result.stderr;
    expect(text).toMatch(/refresh token is missing|No refresh token/i);
    expect(text).toMatch(/Stored the refresh token|✔ Bootstrap/i);
    expect(text).toMatch(/✔ Refreshed/);
    expect(text).toMatch(/The Teams webhook received an Adaptive Card:\n {2}\| partner-center-sam status: needs attention — vault pcsam-emulator/);
    expect(text).not.toMatch(/teams\/workflows\/|sig=/);
    expect(text).toMatch(/an access token of \d+ characters was printed on stdout; not shown here/);
    // The default estate: the Partner Center call lists its customers, the GDAP-only one excepted.
    expect(text).toContain('"companyName": "Fabrikam (healthy)"');
    expect(text).not.toContain('"companyName": "Wingtip (GDAP only)"');
    expect(text).toMatch(/On real Azure:/);
  });

  it("puts no token or secret on screen and connects nowhere but loopback", () => {
    const text = result.stdout + result.stderr;
    expect(text).not.toMatch(/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/);
    expect(text).not.toMatch(/\b1\.A[\w-]{40,}/);
    expect(readFileSync(blockedLog, "utf8")).toBe("");
  });

  it("exits 1 and names the step when one does not behave as expected, and still runs the others", async () => {
    // A preload in every Node process the demo starts makes `call /v1/customers` exit 5 before it does anything.
    const breakCall = path.join(scratch, "break-call.cjs");
    writeFileSync(breakCall, 'if (process.argv.includes("call") && process.argv.includes("/v1/customers")) process.exit(5);\n');
    const env = demoEnv({ CI: "true" });
    const failed = await runCli("demo", [], { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS} --require ${breakCall}` });
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toContain("✖ Expected exit code 0, got 5.");
    expect(failed.stdout).toMatch(/✖ Demo finished in [\d.]+ s: 1 step\(s\) did not behave as expected \(see above\)\./);
    expect(failed.stdout).toMatch(/✔ Refreshed/);
  });

  it("is unattended when asked, under CI, or on Linux without a display", () => {
    expect(demoIsUnattended(true, {}, "darwin")).toBe(true);
    expect(demoIsUnattended(false, { CI: "true" }, "darwin")).toBe(true);
    expect(demoIsUnattended(false, {}, "linux")).toBe(true);
    expect(demoIsUnattended(false, { DISPLAY: ":0" }, "linux")).toBe(false);
    expect(demoIsUnattended(false, {}, "win32")).toBe(false);
  });
});
