/**
 * How the user ran the command, so hints name the next command the same way:
 * `partner-center-sam <command>` from the package's bin (or npx), `npm run
 * <command>` inside this repository, where npm runs the script aliases. The
 * library's errors use the neutral `partner-center-sam <command>` form; the
 * reporter rewrites it for an npm script. Also finds the flags npm took for its
 * own config (`npm run status --outputs X`, the missing `--`).
 */
import type { Command } from "commander";
import { shellQuote } from "./shell-quote";

/** The way the command was started. */
export interface Invocation {
  /** Started by `npm run <command>` (npm sets npm_lifecycle_event to the script and npm_command to run). */
  npmScript: boolean;
}

/** The commands a hint may name. */
const COMMAND_NAMES = "bootstrap|import-token|refresh|status|token|call|consent|emulator|demo|notify|customers|cache";

/** How `command` was started, read from the environment npm sets for a script. */
export function detectInvocation(command: string | undefined, env: NodeJS.ProcessEnv = process.env): Invocation {
  // npm 7-10 report `run-script`, npm 11 `run`; `npx` and the bin set `exec` or nothing.
  return { npmScript: command !== undefined && env.npm_lifecycle_event === command && (env.npm_command === "run" || env.npm_command === "run-script") };
}

/**
 * Rewrites `partner-center-sam <command> [args]` in `text` the way the user
 * runs commands: with an npm script, `` `npm run <command> -- args` `` (npm
 * needs `--` before the command's own flags); otherwise unchanged.
 */
export function namedForInvocation(text: string, invocation: Invocation): string {
  if (!invocation.npmScript) return text;
  return text
    .replace(new RegExp(`\`partner-center-sam (${COMMAND_NAMES})((?: [^\`]*)?)\``, "g"), (_m, name: string, args: string) => `\`npm run ${name}${args.trim() ? ` -- ${args.trim()}` : ""}\``)
    .replace(new RegExp(`(^|[\\s("'])partner-center-sam (${COMMAND_NAMES})(?=$|[\\s.,;:)"'])(?! -)`, "gm"), (_m, before: string, name: string) => `${before}npm run ${name}`);
}

/** The flags npm took for its own config, and the command line that passes them on. */
export interface SwallowedFlags {
  flags: string[];
  /** `npm run <command> -- <flags> <arguments>`. */
  corrected: string;
}

/**
 * `npm run status --outputs X` gives npm `--outputs` (it sets npm_config_outputs,
 * `true` for a flag whose value then arrives as a stray argument) and the
 * command never sees it. Finds those flags among `command`'s options and
 * rebuilds the command line with `--`; undefined when none was taken.
 */
export function swallowedFlags(command: Command, args: readonly string[], env: NodeJS.ProcessEnv = process.env): SwallowedFlags | undefined {
  const stray = args.filter((a) => !a.startsWith("-"));
  const given: string[] = [];
  const flags: string[] = [];
  for (const option of command.options) {
    if (!option.long || option.long === "--help" || option.long === "--version") continue;
    const negated = option.long.startsWith("--no-");
    const key = `npm_config_${option.long.replace(/^--(no-)?/, "").replace(/-/g, "_")}`;
    const value = env[key];
    if (value === undefined || args.some((a) => a === option.long || a.startsWith(`${option.long}=`))) continue;
    if (negated) {
      if (value !== "" && value !== "false") continue;
      flags.push(option.long);
      given.push(option.long);
    } else if (option.required || option.optional) {
      // npm read `--flag value` as the flag `true` and passed the value on as an argument.
      const taken = value === "true" ? stray.shift() : value;
      flags.push(option.long);
      given.push(taken === undefined ? option.long : `${option.long} ${shellQuote(taken)}`);
    } else if (value === "true") {
      flags.push(option.long);
      given.push(option.long);
    }
  }
  if (flags.length === 0) return undefined;
  const rest = args.filter((a) => a.startsWith("-") || stray.includes(a));
  return { flags, corrected: `npm run ${command.name()} -- ${[...given, ...rest.map(shellQuote)].join(" ")}` };
}
