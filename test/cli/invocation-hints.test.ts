/**
 * Hints name the next command the way the user ran this one: `partner-center-sam
 * <command>` from the bin, `npm run <command>` as an npm script; and the flags
 * npm keeps for itself (`npm run status --outputs X`, no `--`) are refused with
 * the command line that passes them on.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOutputsFile } from "../support/fixtures";
import { runCli, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
beforeAll(async () => {
  s = await startStandIns();
});
afterAll(async () => {
  await s?.stop();
});

/** Runs `npm run <args>` in the repository, as a person would. */
function npmRun(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", ...args], { cwd: process.cwd(), env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment a test child gets, without the npm variables of the test run itself. */
function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env = s.childEnv(extra);
  for (const k of Object.keys(env)) if (/^npm_/.test(k) && !(k in extra)) delete env[k];
  return env;
}

describe("hints name commands the way the user ran them", () => {
  it("from the bin: `partner-center-sam bootstrap`", async () => {
    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s)], cleanEnv());
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/Next: .*`partner-center-sam bootstrap`/);
    expect(result.stderr).not.toContain("npm run");
  });

  it("as an npm script: `npm run bootstrap`", async () => {
    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s)], cleanEnv({ npm_lifecycle_event: "refresh", npm_command: "run" }));
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/Next: .*`npm run bootstrap`/);
    expect(result.stderr).not.toContain("partner-center-sam bootstrap");
  });

  it("`npm run status --outputs FILE` (no --) exits 2 with a hint that shows `npm run status -- --outputs FILE`", async () => {
    const file = writeOutputsFile(s);
    const result = await npmRun(["status", "--outputs", file, "--json"], cleanEnv());
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("npm kept --outputs, --json for itself");
    expect(result.stderr).toContain(`Next: Run \`npm run status -- --outputs ${file} --json\``);
  });

  it("`npm run status -- --outputs FILE` runs", async () => {
    const result = await npmRun(["--silent", "status", "--", "--outputs", writeOutputsFile(s), "--json"], cleanEnv());
    expect(result.stderr).not.toContain("npm kept");
    expect(JSON.parse(result.stdout)).toHaveProperty("ok");
  });
});
