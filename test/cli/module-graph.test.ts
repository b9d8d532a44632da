/**
 * The commands start fast because they load only what they need: the bin
 * (bootstrap/dist/cli/main.js, a few kilobytes), our own code from one bundled
 * file (cli.js), the Azure SDKs and MSAL from
 * a second one (azure-deps.js) and only when a command talks to a service, never
 * the Pulumi SDK (hundreds of files), never a TypeScript compiler or loader.
 * Checked on real runs against the stand-ins.
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

/** The bin, and the bundle of our code it loads. */
const CLI_BIN = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");
const CLI_BUNDLE = path.join(process.cwd(), "bootstrap", "dist", "cli", "cli.js");
const AZURE_DEPS = path.join(process.cwd(), "bootstrap", "dist", "cli", "azure-deps.js");
const IMPORT_ESM = path.join(process.cwd(), "bootstrap", "dist", "core", "import-esm.js");
/** Modules a command loads besides Node's own and the test's preloads. */
const loadedBeyondPreloads = (modules: string[]) => modules.filter((m) => !/[\\/]test[\\/]support[\\/]/.test(m));

describe("the commands' module graph", () => {
  it.each(["refresh", "status"] as const)("%s runs without loading @pulumi/* or any TypeScript tooling", async (name) => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv(name);

    const result = await runCli(name, ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    // Our code and the Azure packages, from two files, and nothing from node_modules.
    expect(loadedBeyondPreloads(modules)).toEqual([CLI_BIN, CLI_BUNDLE, AZURE_DEPS]);
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
    // and the one file that imports the ES-module-only `open` for the browser (see core/import-esm.ts)
    expect(loadedBeyondPreloads(modules)).toEqual([CLI_BIN, CLI_BUNDLE, AZURE_DEPS, IMPORT_ESM]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("status loads the bin and the two bundles and nothing else", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("status");

    const result = await runCli("status", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(loadedBeyondPreloads(modules)).toEqual([CLI_BIN, CLI_BUNDLE, AZURE_DEPS]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("token redeems with MSAL and the Key Vault client from the bundles, loading nothing else", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("token");

    const result = await runCli("token", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(loadedBeyondPreloads(modules)).toEqual([CLI_BIN, CLI_BUNDLE, AZURE_DEPS]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("token served from the shared cache loads nothing but the bin and the bundle: no MSAL, no Azure SDK, no credential chain", async () => {
    seedRefreshToken(s);
    const cacheOn = { PARTNER_CENTER_SAM_NO_CACHE: undefined };
    expect((await runCli("token", vaultUriArgs(s), s.childEnv(cacheOn))).code).toBe(0);
    const { env, file } = recorderEnv("token", cacheOn);

    const result = await runCli("token", vaultUriArgs(s), env);

    expect(result.code, result.stderr).toBe(0);
    expect(loadedBeyondPreloads(loadedModules(file))).toEqual([CLI_BIN, CLI_BUNDLE]);
  });

  it.each([
    ["--version", ["--version"]],
    ["--help", ["--help"]],
    ["token --help", ["token", "--help"]],
    ["cache clear", ["cache", "clear"]],
  ])("%s loads nothing but the bin and the bundle", async (_label, args) => {
    const file = path.join(scratchDir(), "plain.modules");
    const env = withModuleRecorder(s.childEnv(), file);

    const result = spawnSync(process.execPath, [CLI_BIN, ...args], { env, encoding: "utf8" });

    expect(result.status, result.stderr).toBe(0);
    expect(loadedBeyondPreloads(loadedModules(file))).toEqual([CLI_BIN, CLI_BUNDLE]);
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
