/**
 * `partner-center-sam emulator` (`npm run emulator`): serves until Ctrl-C,
 * prints what another shell needs, and the other commands work against it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EmulatorAnnouncement } from "../../emulator";
import { LOOPBACK_ONLY_CJS } from "../support/loopback-guard";
import { CLI_MAIN, runCli } from "../support/run-cli";

const scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-emulator-cmd-"));
const blockedLog = path.join(scratch, "blocked.log");
writeFileSync(blockedLog, "");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_|NODE_EXTRA_CA_CERTS$)/.test(k)) env[k] = v;
  return { ...env, NODE_OPTIONS: `--require ${LOOPBACK_ONLY_CJS}`, PCSAM_BLOCKED_LOG: blockedLog };
}

interface Served {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}
const running: Served[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.child.kill("SIGKILL");
});

function serve(args: string[]): Served {
  const child = spawn(process.execPath, [CLI_MAIN, "emulator", ...args], { env: baseEnv(), stdio: "pipe" });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (err += t));
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const served = { child, stdout: () => out, stderr: () => err, exit };
  running.push(served);
  return served;
}

async function until(check: () => boolean, what: string, served: Served, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} did not happen; stdout:\n${served.stdout()}\nstderr:\n${served.stderr()}`);
    if (served.child.exitCode !== null) throw new Error(`the emulator exited (${served.child.exitCode}); stderr:\n${served.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("partner-center-sam emulator", () => {
  it("prints endpoints, outputs file and environment as JSON, serves the other commands, and stops on SIGINT with exit 0", async () => {
    const served = serve(["--json", "--customers", "1"]);
    await until(() => served.stdout().trim().endsWith("}"), "the JSON document", served);
    const a = JSON.parse(served.stdout()) as EmulatorAnnouncement;
    expect(a.customers).toHaveLength(1);
    expect(Object.keys(a.env).sort()).toEqual(["AZURE_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"]);
    expect(a.env.NODE_OPTIONS).toMatch(/^--require \S+localhost-names-preload\.cjs$/);
    const outputs = JSON.parse(readFileSync(a.outputsFile, "utf8")) as { keyVaultUri: string; authorityHost: string; multiTenant: boolean };
    expect(outputs).toMatchObject({ keyVaultUri: a.keyVaultUri, authorityHost: a.authorityHost, multiTenant: true });

    // Another shell with the printed environment: status reaches the emulated vault (no refresh token yet: exit 3).
    const env = baseEnv();
    const status = await runCli("status", ["--outputs", a.outputsFile, "--json"], { ...env, ...a.env, NODE_OPTIONS: `${env.NODE_OPTIONS} ${a.env.NODE_OPTIONS}` });
    expect(status.code, status.stderr).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({ refreshToken: { state: "missing" } });

    served.child.kill("SIGINT");
    expect(await served.exit).toBe(0);
    expect(existsSync(a.outputsFile), "the temp outputs file is removed at stop").toBe(false);
    expect(readFileSync(blockedLog, "utf8")).toBe("");
  });

  it("prints the export lines and the user to sign in as, in text", async () => {
    const outputsFile = path.join(scratch, "emulator.outputs.json");
    const served = serve(["--seed", "readme", "--customers", "0", "--outputs", outputsFile]);
    await until(() => served.stdout().includes("Press Ctrl-C to stop."), "the announcement", served);
    const text = served.stdout();
    expect(text).toMatch(/^ {2}export NODE_EXTRA_CA_CERTS=\S+$/m);
    expect(text).toMatch(/^ {2}export NODE_OPTIONS="--require \S+localhost-names-preload\.cjs\$\{NODE_OPTIONS:\+ \$NODE_OPTIONS\}"$/m);
    expect(text).toMatch(/^ {2}export IDENTITY_ENDPOINT=https:\/\/localhost:\d+\/msi\/token$/m);
    expect(text).toMatch(/Sign in as +admin@contoso\.example, password \S+, MFA code \d{6} \(valid only here\)/);
    expect(text).toContain(`Stack outputs              ${outputsFile}`);
    expect(text).not.toContain("Customer tenants");
    served.child.kill("SIGTERM");
    expect(await served.exit).toBe(0);
    expect(existsSync(outputsFile), "a file the user named stays").toBe(true);
  });

  it("exits 2 naming the port when --port is taken, and says what to do", async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const result = await runCli("emulator", ["--port", String(port)], baseEnv());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`The emulator cannot listen on the ports asked for: 127.0.0.1:${port} (EADDRINUSE).`);
      expect(result.stderr).toMatch(/Next: Pass another --port/);
    } finally {
      taken.close();
    }
  });

  it("reports every bad option at once with exit 2", async () => {
    const result = await runCli("emulator", ["--port", "70000", "--customers", "x", "--seed", "", "--outputs", path.join(scratch, "no-such-folder", "o.json")], baseEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--outputs names a file in .*no-such-folder.*, which is not an existing folder/);
    expect(result.stderr).toContain("--port must be a whole number from 1 to 65532");
    expect(result.stderr).toContain("--customers must be a whole number from 0 to 5000");
    expect(result.stderr).toContain("--seed must name some text");
  });
});
