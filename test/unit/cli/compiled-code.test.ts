/**
 * The compiled-code cache of the bundled Azure SDKs (cli/compiled-code.ts): it
 * is used on the next load, stored owner-only, and never used from a file or
 * folder that someone else could have written. Each load runs in a new Node
 * process (the build's tsc output), as a command does: within one process V8
 * keeps compiled code in memory and would not even look at the file.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { compiledCodeFolder, loadWithCompiledCode as loadHere } from "../../../bootstrap/src/cli/compiled-code";
import { removeScratchDirs, scratchDir } from "../../support/fixtures";

afterAll(() => removeScratchDirs());

let counter = 0;

/** A CommonJS module with a few functions (so there is code to cache) and a folder for its compiled code. */
function fixture(): { file: string; folder: string } {
  const dir = scratchDir();
  const file = path.join(dir, `module-${counter++}.js`);
  const functions = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join("\n");
  writeFileSync(file, `${functions}\nexports.answer = f2(20);\nexports.name = __filename;\nexports.fs = typeof require("node:fs").readFileSync;\n`);
  return { file, folder: path.join(dir, "cache", "compiled") };
}

const env = {} as NodeJS.ProcessEnv;
const LOADER = path.resolve(__dirname, "../../../bootstrap/dist/cli/compiled-code.js");

interface ChildLoad {
  exports: Record<string, unknown>;
  fromCompiledCode: boolean;
  /** Whether there was compiled code to store (then it was stored). */
  stored: boolean;
}

/** Loads `file` in a new Node process and stores the compiled code when the loader offers to. */
function loadWithCompiledCode(file: string, childEnv: NodeJS.ProcessEnv, folder: string): ChildLoad {
  const script = `const l = require(${JSON.stringify(LOADER)}).loadWithCompiledCode(${JSON.stringify(file)}, process.env, ${JSON.stringify(folder)});
if (l.store) l.store();
process.stdout.write(JSON.stringify({ exports: l.exports, fromCompiledCode: l.fromCompiledCode, stored: Boolean(l.store) }));`;
  const child = spawnSync(process.execPath, ["-e", script], { env: { PATH: process.env.PATH, ...childEnv }, encoding: "utf8" });
  if (child.status !== 0) throw new Error(`the loader failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ChildLoad;
}
const cacheFiles = (folder: string) => readdirSync(folder).filter((name) => name.endsWith(".v8"));

describe("loadWithCompiledCode", () => {
  it("runs the module as require would, stores its compiled code owner-only, and uses it on the next load", () => {
    const { file, folder } = fixture();
    const first = loadWithCompiledCode(file, env, folder);
    expect(first).toEqual({ exports: { answer: 42, name: file, fs: "function" }, fromCompiledCode: false, stored: true });
    const [name] = cacheFiles(folder);
    expect(name).toBe(`${createHash("sha256").update(readFileSync(file, "utf8")).digest("hex").slice(0, 40)}-${process.version}-${process.arch}.v8`);
    expect(statSync(path.join(folder, name!)).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);

    const second = loadWithCompiledCode(file, env, folder);
    expect(second.exports).toEqual(first.exports);
    expect(second.fromCompiledCode).toBe(true);
    expect(second.stored).toBe(false);
  });

  it("does not use code compiled from another version of the file", () => {
    const { file, folder } = fixture();
    loadWithCompiledCode(file, env, folder);
    writeFileSync(file, "exports.answer = 43;\n");
    const changed = loadWithCompiledCode(file, env, folder);
    expect(changed).toMatchObject({ exports: { answer: 43 }, fromCompiledCode: false });
  });

  it("ignores a corrupt file (V8 refuses it) and replaces it with good code", () => {
    const { file, folder } = fixture();
    loadWithCompiledCode(file, env, folder);
    const cacheFile = path.join(folder, cacheFiles(folder)[0]!);
    writeFileSync(cacheFile, Buffer.from("not compiled code at all"), { mode: 0o600 });
    const corrupt = loadWithCompiledCode(file, env, folder);
    expect(corrupt).toMatchObject({ exports: { answer: 42 }, fromCompiledCode: false, stored: true });
    expect(loadWithCompiledCode(file, env, folder).fromCompiledCode).toBe(true);
  });

  it.skipIf(process.platform === "win32")("never uses a file others may write, or a symbolic link", () => {
    const { file, folder } = fixture();
    loadWithCompiledCode(file, env, folder);
    const cacheFile = path.join(folder, cacheFiles(folder)[0]!);
    chmodSync(cacheFile, 0o622);
    expect(loadWithCompiledCode(file, env, folder).fromCompiledCode).toBe(false);

    const other = fixture();
    loadWithCompiledCode(other.file, env, other.folder);
    const name = cacheFiles(other.folder)[0]!;
    const linked = fixture();
    // The same module under another folder whose cache entry is a link to a good one.
    writeFileSync(linked.file, readFileSync(other.file, "utf8"));
    mkdirSync(linked.folder, { recursive: true, mode: 0o700 });
    symlinkSync(path.join(other.folder, name), path.join(linked.folder, name));
    expect(loadWithCompiledCode(linked.file, env, linked.folder).fromCompiledCode).toBe(false);
  });

  it.skipIf(process.platform === "win32")("neither uses nor writes compiled code in a folder others may write to", () => {
    const { file, folder } = fixture();
    loadWithCompiledCode(file, env, folder);
    chmodSync(folder, 0o777);
    const before = cacheFiles(folder).map((n) => statSync(path.join(folder, n)).mtimeMs);
    expect(loadWithCompiledCode(file, env, folder)).toMatchObject({ fromCompiledCode: false, stored: true });
    expect(cacheFiles(folder).map((n) => statSync(path.join(folder, n)).mtimeMs)).toEqual(before);
  });

  it("removes compiled code of other bundles or Node versions not written for a week when it stores new code", () => {
    const { file, folder } = fixture();
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stale = path.join(folder, `${"a".repeat(40)}-v20.0.0-x64.v8`);
    const recent = path.join(folder, `${"b".repeat(40)}-v22.1.0-arm64.v8`);
    const other = path.join(folder, "notes.txt");
    for (const f of [stale, recent, other]) writeFileSync(f, "x", { mode: 0o600 });
    const eightDaysAgo = (Date.now() - 8 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(stale, eightDaysAgo, eightDaysAgo);
    utimesSync(other, eightDaysAgo, eightDaysAgo);

    expect(loadWithCompiledCode(file, env, folder).stored).toBe(true);

    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(cacheFiles(folder)).toHaveLength(2);
  });

  it("loads plainly and stores nothing with NODE_DISABLE_COMPILE_CACHE=1", () => {
    const { file, folder } = fixture();
    const plain = loadHere(file, { NODE_DISABLE_COMPILE_CACHE: "1" }, folder);
    expect(plain).toMatchObject({ exports: { answer: 42 }, fromCompiledCode: false });
    expect(plain.store).toBeUndefined();
    expect(loadWithCompiledCode(file, { NODE_DISABLE_COMPILE_CACHE: "1" }, folder)).toMatchObject({ fromCompiledCode: false, stored: false });
  });

  it.runIf(process.platform === "linux")("keeps its folder in compiled/ of the user's cache folder", () => {
    expect(compiledCodeFolder({ XDG_CACHE_HOME: "/x/cache" })).toBe(path.join("/x/cache", "partner-center-sam", "compiled"));
  });
});

