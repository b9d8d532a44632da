/**
 * Loads the command line's bundle files — `cli.js` from the bin, `azure-deps.js`
 * (the Azure SDKs) on the first vault or Entra ID call; see
 * bootstrap/bundle-cli.mjs — with V8's compiled code of the last run, kept in the
 * user's cache folder, so a command skips most of parsing and compiling them
 * (measured with `npm run bench`). This is what Node ≥ 22.1's
 * `module.enableCompileCache` does for ordinary modules, done for these files on
 * every Node, and taken after the command ran, so it also holds the functions the
 * command called. The compiled code is not secret, but it is code: it lives in
 * `compiled/` of the cache folder, which must belong to the user and be closed to
 * others (0700) like the token cache, and a file that belongs to someone else, is
 * writable by others or is a symbolic link is never used. V8 refuses code of
 * another V8 version or with other flags, or for a source of another length; the
 * file's name carries the SHA-256 of the bundle file (from the build), the Node
 * version and the architecture. Anything that goes wrong falls back to a plain
 * `require`, silently: the command only loses the speed-up.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off (as it does Node's own).
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import nodeModule, { Module, createRequire } from "node:module";
import path from "node:path";
import { Script } from "node:vm";
import { defaultCacheFolder } from "../core/cache-folder";
import { writeOwnerOnlyFile } from "../core/owner-only-file";

/** Compiled code not rewritten for this long is of a bundle or Node no longer in use: removed when new code is stored. */
const STALE_MS = 7 * 24 * 60 * 60 * 1000;
const CODE_FILE = /^[0-9a-f]{40}-v\d+\.\d+\.\d+-[a-z0-9]+\.v8$/;

/**
 * SHA-256 of each bundle file, written in by bootstrap/bundle-cli.mjs (esbuild's
 * `define`), so the bin need not hash half a megabyte on every start; tsc's
 * output has none and hashes the file it loads.
 */
declare const PCSAM_BUNDLE_HASHES: Record<string, string> | undefined;
/** Unix permission bits that let anyone but the owner write. */
const GROUP_OR_OTHER_WRITE = 0o022;
/** The parameters Node gives a CommonJS module's code. */
const WRAPPER = ["(function (exports, require, module, __filename, __dirname) { ", "\n})"] as const;

let azureDepsExports: Record<string, unknown> | undefined;

/** The exports of azure-deps.js (next to this bundle), loaded once per process; new compiled code is stored at exit. */
export function azureDeps(): Record<string, unknown> {
  if (!azureDepsExports) {
    const loaded = loadWithCompiledCode(path.join(__dirname, "azure-deps.js"), process.env);
    if (loaded.store) process.once("exit", loaded.store);
    azureDepsExports = loaded.exports;
  }
  return azureDepsExports;
}

/** True when NODE_DISABLE_COMPILE_CACHE turns compiled-code caches off. */
export function compiledCodeDisabled(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.NODE_DISABLE_COMPILE_CACHE?.trim());
}

/** The folder of the compiled code, inside the user's cache folder. */
export function compiledCodeFolder(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultCacheFolder(env), "compiled");
}

/**
 * Node ≥ 22.1 keeps V8's compiled code of the modules it loads from here on
 * (the emulator's, for one) when asked to: it is asked to keep it in the same
 * folder, once a command has made that folder (never in the shared temporary
 * folder, its default). Older Node has no `module.enableCompileCache`.
 */
export function enableNodeCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (nodeModule as { enableCompileCache?: (directory?: string) => unknown }).enableCompileCache;
  if (!enable || compiledCodeDisabled(env) || process.platform === "win32") return;
  const folder = compiledCodeFolder(env);
  if (safeFolder(folder)) enable(folder);
}

/** A module loaded by {@link loadWithCompiledCode}. */
export interface LoadedModule {
  exports: Record<string, unknown>;
  /** Compiled code of an earlier run was used. */
  fromCompiledCode: boolean;
  /** Stores this run's compiled code for the next one; present when there was none to use. Never throws. */
  store?: () => void;
}

/**
 * Runs the CommonJS file `file` as `require` would, with the compiled code of an
 * earlier run when a safe one is in `folder`. Call `store` (if any) when the
 * command is done, so the code of the functions it ran is stored too.
 */
export function loadWithCompiledCode(file: string, env: NodeJS.ProcessEnv, folder = compiledCodeFolder(env)): LoadedModule {
  const load = createRequire(file);
  const plain = (): LoadedModule => ({ exports: load(file) as Record<string, unknown>, fromCompiledCode: false });
  if (compiledCodeDisabled(env) || process.platform === "win32") return plain();
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch {
    return plain();
  }
  const cacheFile = path.join(folder, `${contentHash(file, source).slice(0, 40)}-${process.version}-${process.arch}.v8`);
  const cached = readOwnFile(cacheFile, folder);
  // A leading `#!` line is only valid at the very start of a script: it becomes a comment (line numbers stay).
  const code = source.startsWith("#!") ? `//${source.slice(2)}` : source;
  // import() has no loader in such a script (Node offers one only as an experimental option): the bundle has none of
  // its own (bundle-cli.mjs checks) and imports its one ES module through core/import-esm.ts.
  const script = new Script(`${WRAPPER[0]}${code}${WRAPPER[1]}`, { filename: file, cachedData: cached });
  // A module as require makes one, in require's cache, so any other require of the file gets this one.
  const mod = new Module(file);
  mod.filename = file;
  load.cache[file] = mod;
  try {
    (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, load, mod, file, path.dirname(file));
  } catch (error) {
    delete load.cache[file];
    throw error;
  }
  mod.loaded = true;
  const fromCompiledCode = cached !== undefined && !script.cachedDataRejected;
  return { exports: mod.exports as Record<string, unknown>, fromCompiledCode, ...(fromCompiledCode ? {} : { store: () => storeCompiledCode(script, cacheFile, folder) }) };
}

/** The SHA-256 (hex) of the file's text: the one the build wrote in, else computed. */
function contentHash(file: string, source: string): string {
  const built = typeof PCSAM_BUNDLE_HASHES === "undefined" ? undefined : PCSAM_BUNDLE_HASHES[path.basename(file)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return built ?? (require("node:crypto") as typeof import("node:crypto")).createHash("sha256").update(source).digest("hex");
}

/** The file's bytes, when it and its folder belong to this user and nobody else may write them; else undefined. */
function readOwnFile(file: string, folder: string): Buffer | undefined {
  if (!safeFolder(folder)) return undefined;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== process.getuid?.() || (stat.mode & GROUP_OR_OTHER_WRITE) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A real folder (not a link) of this user that no one else may write to. */
function safeFolder(folder: string): boolean {
  try {
    const stat = lstatSync(folder);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & GROUP_OR_OTHER_WRITE) === 0;
  } catch {
    return false;
  }
}

/** Writes the script's compiled code (owner-only, whole or not at all); never throws. */
function storeCompiledCode(script: Script, file: string, folder: string): void {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (!safeFolder(folder)) return;
    writeOwnerOnlyFile(file, script.createCachedData());
    pruneStale(folder, file);
  } catch {
    // nothing stored: the next command compiles again
  }
}

/** Removes the folder's compiled code older than a week, other than `keep` (code of an older bundle or Node). */
function pruneStale(folder: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(folder)) {
    const file = path.join(folder, name);
    if (!CODE_FILE.test(name) || file === keep) continue;
    try {
      if (now - lstatSync(file).mtimeMs > STALE_MS) unlinkSync(file);
    } catch {
      // another process removed it
    }
  }
}
