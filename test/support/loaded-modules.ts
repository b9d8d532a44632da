/**
 * Which modules a command loads, through the loaded-modules.cjs preload: the
 * commands must start fast, so they must not load the Pulumi SDK, and they run
 * built JavaScript, so no TypeScript compiler or loader may appear either.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Absolute path of the preload. */
export const LOADED_MODULES_CJS = path.join(process.cwd(), "test", "support", "loaded-modules.cjs");

/** Module paths no command may load: the Pulumi SDKs, TypeScript and its run-time loaders, any `.ts` source. */
const FORBIDDEN = [/[\\/]node_modules[\\/]@pulumi[\\/]/, /[\\/]node_modules[\\/](typescript|ts-node|tsx|esbuild)[\\/]/, /\.[cm]?ts$/];

/** `env` plus the preload in NODE_OPTIONS, writing the module list to `file`. */
export function withModuleRecorder(env: Record<string, string>, file: string): Record<string, string> {
  const preload = `--require ${/\s/.test(LOADED_MODULES_CJS) ? JSON.stringify(LOADED_MODULES_CJS) : LOADED_MODULES_CJS}`;
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, preload].filter(Boolean).join(" "), PCSAM_LOADED_MODULES_FILE: file };
}

/** The module paths the preload wrote to `file`. */
export function loadedModules(file: string): string[] {
  if (!existsSync(file)) throw new Error(`no module list at ${file}: was the process started with withModuleRecorder()?`);
  return readFileSync(file, "utf8").split("\n").filter(Boolean);
}

/** The loaded modules that no command may load (empty when all is well). */
export function forbiddenModules(modules: readonly string[]): string[] {
  return modules.filter((m) => FORBIDDEN.some((pattern) => pattern.test(m)));
}
