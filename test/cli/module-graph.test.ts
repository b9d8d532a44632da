/**
 * The commands start fast because they load only what they need: never the
 * Pulumi SDK (hundreds of files), never a TypeScript compiler or loader — they
 * run the built JavaScript. Checked on real runs against the stand-ins.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScratchDirs, scratchDir, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { forbiddenModules, loadedModules, withModuleRecorder } from "../support/loaded-modules";
import { runCli, startCli, type CliName } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

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
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/@azure[\\/]keyvault-secrets[\\/]/), expect.stringMatching(new RegExp(`cli[\\\\/]${name}\\.js$`))]));
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("bootstrap gets to the sign-in URL without loading @pulumi/* or any TypeScript tooling", async () => {
    const { env, file } = recorderEnv("bootstrap");
    const outputs = writeOutputsFile(s, { redirectUri: "http://localhost:8960/" });
    const cli = startCli("bootstrap", ["--outputs", outputs, "--no-browser", "--no-verify"], env);

    await cli.waitForStderr(/\/oauth2\/v2\.0\/authorize\?\S+/);
    cli.child.kill("SIGTERM");
    await cli.done;

    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/@azure[\\/]msal-node[\\/]/)]));
    expect(forbiddenModules(modules)).toEqual([]);
  });

  it("the partner-center-sam executable runs status without loading the other commands, @pulumi/* or any TypeScript tooling", async () => {
    seedRefreshToken(s);
    const { env, file } = recorderEnv("status");
    const main = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");

    // Asynchronously: the stand-ins answer from this process.
    const child = spawn(process.execPath, [main, "status", "--outputs", writeOutputsFile(s)], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

    expect(code, stderr).toBe(0);
    const modules = loadedModules(file);
    expect(modules).toEqual(expect.arrayContaining([expect.stringMatching(/cli[\\/]main\.js$/), expect.stringMatching(/cli[\\/]status\.js$/)]));
    expect(modules.filter((m) => /cli[\\/](bootstrap|refresh)\.js$/.test(m))).toEqual([]);
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
