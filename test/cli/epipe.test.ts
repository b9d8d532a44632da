/**
 * A reader that goes away (`partner-center-sam token --help | head -c 1`) is not
 * a failure of the command: no unhandled 'error' event, no stack trace, and the
 * command's own exit code (0 when it succeeded).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");

/** Runs the CLI with the reader of `closed` gone before the CLI writes anything; collects the other stream. */
function withClosedReader(closed: "stdout" | "stderr", args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; other: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH }, stdio: ["ignore", "pipe", "pipe"] });
  // Closing our end of the pipe now, while node is still starting: every write of the CLI to it fails with EPIPE.
  child[closed].destroy();
  let other = "";
  const keep = closed === "stdout" ? child.stderr : child.stdout;
  keep.setEncoding("utf8").on("data", (chunk: string) => (other += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, other }));
  });
}

const CRASH = /Unhandled 'error' event|EPIPE|^\s+at /m;

describe("a reader that closes the pipe", () => {
  it("makes `token --help` exit 0 without a stack trace when stdout's reader is gone", async () => {
    const result = await withClosedReader("stdout", ["token", "--help"]);
    expect(result.other).not.toMatch(CRASH);
    expect(result).toMatchObject({ code: 0, signal: null });
  });

  it("keeps a usage error's exit code 2 when stdout's reader is gone, and still explains it on stderr", async () => {
    // --json: the error document goes to the closed stdout, then the message and the next step to stderr.
    const result = await withClosedReader("stdout", ["refresh", "--no-such-option", "--json"]);
    expect(result.other).not.toMatch(CRASH);
    expect(result.other).toContain("--no-such-option");
    expect(result.other).toContain("Next: run the command with --help");
    expect(result.code).toBe(2);
  });

  it("keeps the command's exit code when stderr's reader is gone", async () => {
    const result = await withClosedReader("stderr", []);
    expect(result.other).toBe("");
    expect(result).toMatchObject({ code: 2, signal: null });
  });
});
