/**
 * `partner-center-sam`, the package's executable: --version and --help of its
 * own, usage errors with exit code 2, and everything else handed to the named
 * command with its arguments.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = path.join(process.cwd(), "bootstrap", "dist", "cli", "main.js");
const { version } = JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { version: string };

function sam(...args: string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("partner-center-sam", () => {
  it.each(["--version", "-V"])("prints the package version alone on stdout for %s", (flag) => {
    expect(sam(flag)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it.each(["--help", "-h", "help"])("lists the three commands and the exit codes for %s", (flag) => {
    const { code, stdout } = sam(flag);
    expect(code).toBe(0);
    for (const command of ["bootstrap", "refresh", "status"]) expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(stdout).toContain("Exit codes:");
  });

  it("exits 2 and shows the commands when none is named", () => {
    const { code, stdout, stderr } = sam();
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toContain("Name a command");
    expect(stderr).toContain("Usage: partner-center-sam <command>");
  });

  it("exits 2 on an unknown command, naming it", () => {
    const { code, stderr } = sam("rotate");
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command "rotate"');
  });

  it.each([
    ["status", "--help"],
    ["help", "status"],
  ])("hands `%s %s` to the status command's own help", (...args) => {
    const { code, stdout } = sam(...args);
    expect(code).toBe(0);
    expect(stdout).toContain("--warn-days");
  });

  it("passes the command's arguments through, so its own option checks apply", () => {
    const { code, stderr } = sam("refresh", "--no-such-option");
    expect(code).toBe(2);
    expect(stderr).toContain("--no-such-option");
  });
});
