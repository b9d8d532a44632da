/**
 * `partner-center-sam`, the package's executable: one program whose every level
 * has --version and --help, usage errors with exit code 2, and the named
 * command run with its arguments.
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

  it.each(["--help", "-h", "help"])("lists the commands and the exit codes for %s", (flag) => {
    const { code, stdout } = sam(flag);
    expect(code).toBe(0);
    for (const command of ["bootstrap", "refresh", "status", "token"]) expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(stdout).toContain("Exit codes:");
  });

  it.each(["bootstrap", "refresh", "status", "token"])("gives %s its own --help, named as partner-center-sam runs it, with the exit codes", (command) => {
    const { code, stdout } = sam(command, "--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: partner-center-sam ${command} \\[options\\]`));
    expect(stdout).not.toContain("npm run");
    expect(stdout).toContain("Exit codes:");
  });

  it.each(["bootstrap", "refresh", "status", "token"])("prints the version for %s --version", (command) => {
    expect(sam(command, "--version")).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it.each(["refresh", "status", "token"])("declares the shared options once, the same for %s", (command) => {
    const { stdout } = sam(command, "--help");
    for (const flag of ["--stack", "--outputs", "--vault-uri", "--authority-host", "--partner-center-endpoint", "--access-wait", "--timeout", "--json"]) {
      expect(stdout, `${command} --help lists ${flag}`).toMatch(new RegExp(`^  ${flag}[ ,<]`, "m"));
    }
    expect(stdout).toContain("(env: AZURE_AUTHORITY_HOST)");
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
    expect(stderr).toContain("unknown command 'rotate'");
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

  it("takes AZURE_AUTHORITY_HOST as --authority-host and names the variable when it is wrong", () => {
    const result = spawnSync(process.execPath, [MAIN, "status", "--vault-uri", "https://kv.vault.azure.net/"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, AZURE_AUTHORITY_HOST: "https://login.example.test/common" },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/AZURE_AUTHORITY_HOST \(environment\) must be an https URL of the host only.*it has a path/);
  });

  it("reports a commander usage error as one JSON document with --json", () => {
    const { code, stdout } = sam("status", "--json", "--warn-days");
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { code: "invalid_options" } });
  });
});
