/**
 * The user's cache folder for this package, which holds the shared access-token
 * cache (entra/token-cache.ts) and the compiled code of the command line
 * (cli/compiled-code.ts). Only `node:os` and `node:path`: the bin's first file
 * loads it.
 */
import os from "node:os";
import path from "node:path";

/** The folder's name inside the user's cache folder. */
export const CACHE_FOLDER_NAME = "partner-center-sam";

/**
 * The user's cache folder for this package: `$XDG_CACHE_HOME/partner-center-sam`
 * (or `~/.cache/…`) on Linux and other Unix systems, `~/Library/Caches/…` on
 * macOS, `%LOCALAPPDATA%\partner-center-sam` on Windows.
 */
export function defaultCacheFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === "win32") return path.win32.join(env.LOCALAPPDATA || path.win32.join(home, "AppData", "Local"), CACHE_FOLDER_NAME);
  if (platform === "darwin") return path.posix.join(home, "Library", "Caches", CACHE_FOLDER_NAME);
  // XDG Base Directory: a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return path.posix.join(xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, ".cache"), CACHE_FOLDER_NAME);
}
