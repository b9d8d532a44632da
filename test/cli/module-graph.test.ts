/**
 * The commands start fast because they load only what they need: our own code
 * from one bundled file (bootstrap/dist/cli/main.js), the Azure SDKs and MSAL only
 * when a command talks to a service, never the Pulumi SDK (hundreds of files),
 * never a TypeScript compiler or loader. Checked on real runs against the stand-ins.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScratchDirs, scratchDir, seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import { forbiddenModules, loadedModules, withModuleRecorder } from "../support/loaded-modules";
import { runCli, startCli, type CliName } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";
import { freeLoopbackPort } from "../support/free-port";

let s: StandIns;

beforeAll(async () => {
  s = await startStandIns();
});

afterAll(async () => {
  await s?.stop();
  removeScratchDirs();
});

function recorderEnv(name: CliName, extra: Record<string, string | undefined> = {}): { env: Record<string, string>; file: string } {
  const file = path.join(scratchDir(), `${name}.modules`);
  return { env: withModuleRecorder(s.childEnv(extra), file), file };
}

const CLI_BUNDLE = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");
const OWN_DIST = path.join(process.cwd(), "bootstrap", "dist") + path.sep;
/** Modules a command loads besides Node's own and the test's preloads. */
const loadedBeyondPreloads = (modules: string[]) => modules.filter((m) => !/[\\/]test[\\/]support[\\/]/.test(m));
/** Our own modules other than the bundle: none, since the bundle holds all of our command-line code. */
const ownModulesBesidesBundle = (modules: string[]) => modules.filter((m) => m.startsWith(OWN_DIST) && m !== CLI_BUNDLE);

describe("the commands' module graph", () => {
  it.each(["refresh", "status"] as const)("%s runs without loading @pulumi/* or any TypeScript tooling", async (name) => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv(name);

    const result = await runCli(name, ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/@azure[\\/]keyvault-secrets[\\/]/), CLI_BUNDLE]));
    expect(ownModulesBesidesBundle(modules)).toEqual([]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("bootstrap gets to the sign-in URL without loading @pulumi/* or any TypeScript tooling", async () => {
    const { env, file } = recorderEnv("bootstrap");
    const outputs = writeOutputsFile(s, { redirectUri: `http://localhost:${freeLoopbackPort()}/` });
    const cli = startCli("bootstrap", ["--outputs", outputs, "--no-browser", "--no-verify"], env);

    await cli.waitForStderr(/\/oauth2\/v2\.0\/authorize\?\S+/);
    cli.child.kill("SIGTERM");
    await cli.done;

    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/@azure[\\/]msal-node[\\/]/)]));
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("status runs without loading MSAL or the sign-in's browser opener", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("status");

    const result = await runCli("status", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toContain(CLI_BUNDLE);
    // The package's own MSAL (not the copy @azure/identity carries for DefaultAzureCredential), and not `open` (the sign-in's browser).
    const ownMsal = path.join(process.cwd(), "node_modules", "@azure", "msal-node");
    const open = path.join(process.cwd(), "node_modules", "open");
    expect(modules.filter((m) => m.startsWith(ownMsal) || m.startsWith(open))).toEqual([]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("token redeems with MSAL and the Key Vault client, without loading the sign-in's browser opener", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("token");

    const result = await runCli("token", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([CLI_BUNDLE, expect.stringMatching(/@azure[\\/]msal-node[\\/]/), expect.stringMatching(/@azure[\\/]keyvault-secrets[\\/]/)]));
    expect(modules.filter((m) => m.startsWith(path.join(process.cwd(), "node_modules", "open")))).toEqual([]);
    expect(ownModulesBesidesBundle(modules)).toEqual([]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("token served from the shared cache loads nothing but the bundle: no MSAL, no Azure SDK, no credential chain", async () => {
    seedRefreshToken(s);
    const cacheOn = { PARTNER_CENTER_SAM_NO_CACHE: undefined };
    expect((await runCli("token", vaultUriArgs(s), s.childEnv(cacheOn))).code).toBe(0);
    const { env, file } = recorderEnv("token", cacheOn);

    const result = await runCli("token", vaultUriArgs(s), env);

    expect(result.code, result.stderr).toBe(0);
    expect(loadedBeyondPreloads(loadedModules(file))).toEqual([CLI_BUNDLE]);
  });

  it.each([
    ["--version", ["--version"]],
    ["--help", ["--help"]],
    ["token --help", ["token", "--help"]],
    ["cache clear", ["cache", "clear"]],
  ])("%s loads nothing but the bundle", async (_label, args) => {
    const file = path.join(scratchDir(), "plain.modules");
    const env = withModuleRecorder(s.childEnv(), file);

    const result = spawnSync(process.execPath, [CLI_BUNDLE, ...args], { env, encoding: "utf8" });

    expect(result.status, result.stderr).toBe(0);
    expect(loadedBeyondPreloads(loadedModules(file))).toEqual([CLI_BUNDLE]);
  });

  it("recognises the Pulumi SDK and TypeScript when they are loaded, so the checks above can fail", () => {
    const root = path.join(process.cwd(), "node_modules");
    const modules = [
      path.join(root, "@pulumi", "pulumi", "index.js"),
      path.join(root, "typescript", "lib", "typescript.js"),
      path.join(process.cwd(), "bootstrap", "src", "index.ts"),
      path.join(root, "@azure", "msal-node", "dist", "index.cjs"),
    ];
    expect(forbiddenModules(modules)).toEqual(modules.slice(0, 3));
  });
});
