/**
 * Every subcommand of `partner-center-sam` has its npm script alias, a row in
 * the README's command table and its own --help; the `emulator` command's
 * options are exactly the ones the README documents.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../bootstrap/src/cli/main";
import { emulatorCommand } from "../../bootstrap/src/cli/emulator";
import { demoCommand } from "../../bootstrap/src/cli/demo";
import { documentedFlags, docSection } from "../support/fixtures";
import { runCli } from "../support/run-cli";

const names = COMMANDS.map((factory) => factory().name());
const scripts = (JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("the subcommands", () => {
  it("are the ones the README lists, in its command table, in the same order", () => {
    expect(names).toEqual(["bootstrap", "import-token", "refresh", "status", "token", "call", "consent", "customers", "emulator", "demo", "notify", "cache"]);
    const table = docSection("The command line").split("\n").filter((line) => /^\| `[a-z][a-z-]*` \|/.test(line));
    expect(table.map((line) => /^\| `([a-z][a-z-]*)`/.exec(line)![1])).toEqual(names);
  });

  it.each(names)("%s has the npm script alias `npm run %s`", (name) => {
    expect(scripts[name]).toBe(`node bootstrap/dist/cli/main.js ${name}`);
  });

  it("emulator has exactly the options the README documents", () => {
    expect(documentedFlags("npm run emulator").sort()).toEqual(emulatorCommand().options.map((o) => o.long).sort());
  });

  it("demo documents --unattended", () => {
    expect(demoCommand().options.map((o) => o.long)).toEqual(["--unattended"]);
    expect(docSection("Try it in one minute")).toContain("--unattended");
  });

  it.each(["emulator", "demo"] as const)("%s --help names the command and the exit codes", async (name) => {
    const result = await runCli(name, ["--help"], { PATH: process.env.PATH });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: partner-center-sam ${name} \\[options\\]`));
    expect(result.stdout).toContain("Exit codes:");
  });
});
