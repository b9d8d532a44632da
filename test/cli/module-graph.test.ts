/**
 * The commands start fast because they load only what they need: never the
 * Pulumi SDK (hundreds of files), never a TypeScript compiler or loader — they
 * run the built JavaScript. Checked on real runs against the stand-ins.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScratchDirs, scratchDir, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
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

function recorderEnv(name: CliName): { env: Record<string, string>; file: string } {
  const file = path.join(scratchDir(), `${name}.modules`);
  return { env: withModuleRecorder(s.childEnv(), file), file };
}

describe("the commands' module graph", () => {
  it.each(["refresh", "status"] as const)("%s runs without loading @pulumi/* or any TypeScript tooling", async (name) => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv(name);

    const result = await runCli(name, ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/@azure[\\/]keyvault-secrets[\\/]/), expect.stringMatching(new RegExp(`${name}-flow\\.js$`))]));
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

  it("status runs without loading the other commands' flows, the sign-in code or MSAL", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("status");

    const result = await runCli("status", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/cli[\\/]main\.js$/), expect.stringMatching(/status-flow\.js$/)]));
    // The package's own MSAL (not the copy @azure/identity carries for DefaultAzureCredential).
    const ownMsal = path.join(process.cwd(), "node_modules", "@azure", "msal-node");
    expect(modules.filter((m) => /(bootstrap-flow|refresh-flow|token-flow|interactive-sign-in|refresh-token-rotator)\.js$/.test(m) || m.startsWith(ownMsal))).toEqual([]);
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("token runs through the token provider without loading the sign-in code", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("token");

    const result = await runCli("token", ["--outputs", writeOutputsFile(s)], env);

    expect(result.code, result.stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/token-flow\.js$/), expect.stringMatching(/token-provider\.js$/)]));
    expect(modules.filter((m) => /(bootstrap-flow|interactive-sign-in|loopback-redirect-server)\.js$/.test(m))).toEqual([]);
    expect(forbiddenModules(modules)).toEqual([]);
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
