import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

/** The commands, as `npm run <name>` runs them: `partner-center-sam <name>` (built JavaScript, no TypeScript at run time). */
export type CliName = "bootstrap" | "import-token" | "refresh" | "status" | "token" | "call" | "consent" | "customers" | "emulator" | "demo" | "notify" | "cache";

/** What a finished command printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running command: read its output as it comes, type into it, wait for it. */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first match of `pattern` in stderr (where prompts and URLs go). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes a line to the command's stdin. */
  type(line: string): void;
  done: Promise<CliResult>;
}

/**
 * Everything any command printed in this worker, for the "no secret on screen"
 * checks — but a `token` run's stdout, which is the access token by design.
 */
export const transcript: string[] = [];

/** The package's executable, `partner-center-sam`. */
export const CLI_MAIN = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");

/** Starts `node bootstrap/dist/cli/main.js <name> ...args` with exactly `env`. */
export function startCli(name: CliName, args: string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [CLI_MAIN, name, ...args], { env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  const watchers: Array<() => void> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const watcher of [...watchers]) watcher();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      transcript.push(name === "token" ? "" : stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    done,
    type: (line) => child.stdin.write(`${line}\n`),
    waitForStderr(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; stderr so far:\n${stderr}`)), timeoutMs);
        const check = () => {
          const match = stderr.match(pattern);
          if (!match) return;
          clearTimeout(timer);
          watchers.splice(watchers.indexOf(check), 1);
          resolve(match);
        };
        watchers.push(check);
        check();
        void done.then(() => {
          if (watchers.includes(check)) {
            clearTimeout(timer);
            watchers.splice(watchers.indexOf(check), 1);
            reject(new Error(`${name} exited before printing ${pattern}; stderr:\n${stderr}`));
          }
        });
      });
    },
  };
}

/** Runs a command to the end, with stdin closed unless `input` is given. */
export async function runCli(name: CliName, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  const cli = startCli(name, args, env);
  cli.child.stdin.end(input);
  return cli.done;
}
