/**
 * What another project gets when it installs this package: the runtime
 * dependencies of the library and the commands, and nothing of the Pulumi
 * program or the TypeScript toolchain — from a `npm pack` tarball and from a
 * git URL (which npm builds through the `prepare` script in a clone).
 *
 * Needs: bootstrap/dist built (`npm test` builds it first) and the npm cache
 * filled by `npm ci` in this repository. Every install runs with `--offline`
 * (npm answers from its cache or fails, it never asks the registry) and with
 * the loopback-only guard in every Node process npm starts.
 *
 * A new project has no lockfile, and npm resolves its version ranges from the
 * registry's package documents, which `npm ci` does not cache. So the consumer
 * starts with the slice of this repository's lockfile that `npm ci --omit=dev`
 * would install: the same versions a fresh resolution picked when the lockfile
 * was last regenerated.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOOPBACK_ONLY_CJS } from "../support/loopback-guard";

const root = process.cwd();
const INSTALL_TIMEOUT = 300_000;
const MAX_PACKAGES = 80;
const MAX_BYTES = 80 * 1000 * 1000;
const rootPackage = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string> };

/** Packages no consumer should get: the Pulumi SDKs and providers, and TypeScript tooling. */
const FORBIDDEN = /(^|\/)node_modules\/(@pulumi\/|@pulumiverse\/|typescript$|ts-node$|tsx$|@types\/|esbuild$|@esbuild\/|vitest$|eslint$)/;

let scratch: string;
let blockedLog: string;

/** The environment for npm: none of the `npm run` variables of the parent but its cache, and the loopback guard in every Node process. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || /^npm_config_cache$/i.test(key)));
  return { ...env, NODE_OPTIONS: `--require ${LOOPBACK_ONLY_CJS}`, PCSAM_BLOCKED_LOG: blockedLog, npm_config_update_notifier: "false" };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv()) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: INSTALL_TIMEOUT });
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error };
}

/** This repository's lockfile reduced to what a production install puts into node_modules. */
function productionLockfile(name: string): object {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  const packages: Record<string, unknown> = { "": { name, version: "1.0.0" } };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key.startsWith("node_modules/") && !entry.dev && !entry.link) packages[key] = entry;
  }
  return { name, version: "1.0.0", lockfileVersion: 3, requires: true, packages };
}

/** An empty project with a package.json and the production lockfile slice. */
function consumerProject(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true }, null, 2));
  writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(productionLockfile(name), null, 2));
  return dir;
}

/** Every package folder under node_modules (nested ones too), relative to the project. */
function packageDirs(dir: string, prefix = "node_modules"): string[] {
  const base = path.join(dir, prefix);
  if (!existsSync(base)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(base)) {
    if (entry.startsWith(".")) continue;
    const names = entry.startsWith("@") ? readdirSync(path.join(base, entry)).map((child) => `${entry}/${child}`) : [entry];
    for (const name of names) {
      const rel = `${prefix}/${name}`;
      if (!existsSync(path.join(dir, rel, "package.json"))) continue;
      found.push(rel, ...packageDirs(dir, `${rel}/node_modules`));
    }
  }
  return found;
}

/** Disk usage of `dir` as `du` counts it: allocated blocks of every file and folder, symlinks not followed. */
function sizeOf(dir: string): number {
  let total = lstatSync(dir).blocks * 512;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : lstatSync(full).blocks * 512;
  }
  return total;
}

interface Installed {
  dir: string;
  packages: string[];
  bytes: number;
  seconds: number;
  stderr: string;
}

/** `npm install --offline <spec>` into a new consumer project. */
function install(name: string, spec: string): Installed {
  const dir = consumerProject(name);
  const started = Date.now();
  const result = run("npm", ["install", "--offline", "--no-audit", "--no-fund", spec], dir);
  const seconds = (Date.now() - started) / 1000;
  expect(result.code, `npm install ${spec} failed:\n${result.stderr}`).toBe(0);
  const packages = packageDirs(dir);
  const bytes = sizeOf(path.join(dir, "node_modules"));
  console.log(`${name}: ${packages.length} packages, ${(bytes / 1e6).toFixed(1)} MB of node_modules, installed in ${seconds.toFixed(1)} s`);
  return { dir, packages, bytes, seconds, stderr: result.stderr };
}

/** The checks every way of installing must pass. */
function expectLeanAndWorking(consumer: () => Installed) {
  it("pulls no @pulumi/* package and no TypeScript tooling", () => {
    const { packages } = consumer();
    expect(packages).toContain("node_modules/partner-center-sam");
    expect(packages).toContain("node_modules/@azure/keyvault-secrets");
    expect(packages.filter((p) => FORBIDDEN.test(p))).toEqual([]);
  });

  it(`stays within ${MAX_PACKAGES} packages and ${MAX_BYTES / 1e6} MB, exactly the lockfile npm wrote`, () => {
    const { dir, packages, bytes } = consumer();
    expect(packages.length).toBeLessThanOrEqual(MAX_PACKAGES);
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
    const lock = JSON.parse(readFileSync(path.join(dir, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).filter(Boolean).sort()).toEqual([...packages].sort());
  });

  it("loads with require()", () => {
    const { dir } = consumer();
    const result = run(process.execPath, ["-e", 'const sam = require("partner-center-sam"); console.log(typeof sam.createTokenProvider, typeof sam.ConsentRequiredError)'], dir);
    expect([result.code, result.stdout.trim(), result.stderr]).toEqual([0, "function function", ""]);
  });

  it("loads with import, named exports included", () => {
    const { dir } = consumer();
    const script = 'import { createTokenProvider, ExitCode } from "partner-center-sam"; console.log(typeof createTokenProvider, ExitCode.ActionNeeded)';
    const result = run(process.execPath, ["--input-type=module", "-e", script], dir);
    expect([result.code, result.stdout.trim(), result.stderr]).toEqual([0, "function 3", ""]);
  });

  it("runs `npx partner-center-sam --version` and dispatches to the commands", () => {
    const { dir } = consumer();
    const version = run("npx", ["--offline", "partner-center-sam", "--version"], dir);
    expect([version.code, version.stdout.trim()], version.stderr).toEqual([0, rootPackage.version]);
    const help = run("npx", ["--offline", "partner-center-sam", "status", "--help"], dir);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--vault-uri/);
  });

  it("resolves partner-center-sam/infra to the compiled component, which names the optional Pulumi peer it lacks", () => {
    const { dir } = consumer();
    const script =
      'console.log(require.resolve("partner-center-sam/infra")); ' +
      'try { require("partner-center-sam/infra"); } catch (e) { console.log(e.code, /@pulumi\\/pulumi/.test(e.message)); }';
    const result = run(process.execPath, ["-e", script], dir);
    expect([result.code, result.stdout.trim().split("\n"), result.stderr]).toEqual([
      0,
      [path.join(dir, "node_modules", "partner-center-sam", "dist", "infra", "partner-center-sam.js"), "MODULE_NOT_FOUND true"],
      "",
    ]);
  });

  it("starts the emulator from partner-center-sam/emulator with require and with import, and gets a token through the provider", () => {
    const { dir } = consumer();
    const body =
      "const emu = await startEmulator({ bootstrapped: true });" +
      "try {" +
      "  const provider = createTokenProvider({ keyVaultUri: emu.keyVaultUri, credential: emu.credential, authorityHost: emu.authorityHost, partnerCenterEndpoint: emu.partnerCenterEndpoint });" +
      "  const token = await provider.getAccessToken();" +
      '  console.log(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).tid === emu.tenantId ? "token for the emulated tenant" : "wrong tenant");' +
      "} finally { await emu.close(); }";
    // The consumer's process trusts nothing but the emulator's own CA, which startEmulator trusts in-process.
    const env = { ...npmEnv(), NODE_EXTRA_CA_CERTS: undefined };
    const cjs = run(process.execPath, ["-e", `const { startEmulator } = require("partner-center-sam/emulator"); const { createTokenProvider } = require("partner-center-sam"); (async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`], dir, env);
    expect([cjs.code, cjs.stdout.trim(), cjs.stderr]).toEqual([0, "token for the emulated tenant", ""]);
    const esm = run(process.execPath, ["--input-type=module", "-e", `import { startEmulator } from "partner-center-sam/emulator"; import { createTokenProvider } from "partner-center-sam"; ${body}`], dir, env);
    expect([esm.code, esm.stdout.trim(), esm.stderr]).toEqual([0, "token for the emulated tenant", ""]);
  });

  it("asked nothing outside the loopback interface", () => {
    consumer();
    expect(existsSync(blockedLog) ? readFileSync(blockedLog, "utf8") : "").toBe("");
  });
}

beforeAll(() => {
  if (!existsSync(path.join(root, "bootstrap", "dist", "cli", "main.js"))) throw new Error("bootstrap/dist is not built: run `npm run build` (npm test does) first.");
  scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-consumer-"));
  blockedLog = path.join(scratch, "blocked-connections.log");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the production lockfile slice the consumers start from", () => {
  it("holds exactly the runtime dependencies' tree, so the checks below can fail on a heavier package", () => {
    const packages = Object.keys((productionLockfile("probe") as { packages: object }).packages);
    for (const dependency of Object.keys(rootPackage.dependencies)) expect(packages).toContain(`node_modules/${dependency}`);
    expect(packages.filter((p) => FORBIDDEN.test(p))).toEqual([]);
    const full = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    expect(Object.keys(full.packages).filter((p) => FORBIDDEN.test(p)).length).toBeGreaterThan(10);
  });
});

describe("a project that installs the npm pack tarball", () => {
  let installed: Installed;
  const consumer = () => installed;

  beforeAll(() => {
    // The build already ran (npm test); --ignore-scripts keeps `prepare` from rebuilding dist under the other test files.
    const packed = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], { cwd: root, env: npmEnv(), encoding: "utf8" })) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain("bootstrap/dist/cli/main.js");
    for (const built of ["dist/infra/partner-center-sam.js", "dist/infra/partner-center-sam.d.ts", "dist/bootstrap/src/core/contract.js"]) expect(files).toContain(built);
    expect(files, "the program's entry point declares a stack when loaded").not.toContain("dist/infra/index.js");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /^(infra|test)\//.test(f))).toEqual([]);
    installed = install("from-tarball", path.join(scratch, packed[0].filename));
  }, INSTALL_TIMEOUT);

  expectLeanAndWorking(consumer);
});

describe("a project that installs from a git URL", () => {
  let installed: Installed;
  let repo: string;
  const consumer = () => installed;

  beforeAll(() => {
    // A repository of this working tree's files (tracked, and new ones not ignored), as a remote would hold them.
    repo = path.join(scratch, "repo");
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }).split("\0");
    for (const file of listed.filter((f) => f && existsSync(path.join(root, f)))) {
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      cpSync(path.join(root, file), path.join(repo, file));
    }
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], { cwd: repo, stdio: "pipe" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "snapshot");
    installed = install("from-git", `git+file://${repo}`);
  }, INSTALL_TIMEOUT);

  it("builds bootstrap/dist and dist/infra through `prepare` (the repository holds no built files)", () => {
    expect(existsSync(path.join(repo, "bootstrap", "dist"))).toBe(false);
    expect(existsSync(path.join(repo, "dist"))).toBe(false);
    expect(existsSync(path.join(consumer().dir, "node_modules", "partner-center-sam", "bootstrap", "dist", "index.js"))).toBe(true);
    expect(existsSync(path.join(consumer().dir, "node_modules", "partner-center-sam", "dist", "infra", "partner-center-sam.d.ts"))).toBe(true);
  });

  expectLeanAndWorking(consumer);
});
