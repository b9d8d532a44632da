/**
 * The documentation stays true and whole: README.md and the pages of docs/ link
 * only to files and headings that exist; the configuration keys, stack outputs,
 * npm scripts and command options they name are exactly the ones that exist; and
 * every command and option that exists is documented somewhere.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMANDS } from "../bootstrap/src/cli/main";
import { docPages, docs, docSection } from "./support/fixtures";

const root = process.cwd();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a Markdown text's headings (outside code blocks), with GitHub's -1, -2 … for repeats. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const m = !fence && /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The relative links of a Markdown text (outside code blocks) that do not resolve: `[text](target)` → a problem. */
export function brokenLinks(file: string, text: string, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  let fence = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    if (fence) continue;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [filePart, anchor] = target.split("#") as [string, string | undefined];
      const targetFile = filePart === "" ? file : path.normalize(path.join(path.dirname(file), filePart));
      const content = read(targetFile);
      if (content === undefined) {
        problems.push(`${file}: ${target} (no file ${targetFile})`);
        continue;
      }
      if (anchor !== undefined && targetFile.endsWith(".md") && !anchorsOf(content).has(anchor)) problems.push(`${file}: ${target} (no heading #${anchor} in ${targetFile})`);
    }
  }
  return problems;
}

function readRepoFile(file: string): string | undefined {
  const full = path.join(root, file);
  if (!existsSync(full)) return undefined;
  try {
    return readFileSync(full, "utf8");
  } catch {
    return ""; // a folder
  }
}

/** The backticked names in the first column of the table that follows `heading` in `text`. */
function firstColumnNames(text: string, heading: string): string[] {
  const section = text.slice(text.indexOf(heading));
  const table = section.slice(section.indexOf("\n|")).split("\n\n")[0]!;
  return table
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .slice(1)
    .flatMap((line) => [...line.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

/** Every command (and subcommand) of the CLI with its long options. */
function commandsWithOptions(): Array<{ name: string; options: string[] }> {
  const walk = (command: Command, prefix: string): Array<{ name: string; options: string[] }> => {
    const name = `${prefix}${command.name()}`;
    return [{ name, options: command.options.map((o) => o.long!).filter(Boolean) }, ...command.commands.flatMap((c) => walk(c, `${name} `))];
  };
  return COMMANDS.flatMap((factory) => walk(factory(), ""));
}

describe("the documentation", () => {
  const pages = docPages();

  it("keeps README.md to at most 300 lines, with docs/ behind it", () => {
    expect(readFileSync(path.join(root, "README.md"), "utf8").split("\n").length).toBeLessThanOrEqual(300);
    expect(pages.length).toBeGreaterThanOrEqual(10);
  });

  it("starts every page of docs/ with its title and a paragraph that says what it is for, and lists it in docs/README.md", () => {
    const toc = readFileSync(path.join(root, "docs", "README.md"), "utf8");
    for (const page of pages.filter((p) => p.path.startsWith("docs"))) {
      expect(page.text, page.path).toMatch(/^# \S.*\n\n(For |What |This |How |A |An |Every |Where |Which |The )/);
      if (!page.path.endsWith("README.md")) expect(toc, `docs/README.md links ${page.path}`).toContain(`](${path.basename(page.path)})`);
    }
  });

  it("links only to files and headings that exist", () => {
    const problems = pages.flatMap((page) => brokenLinks(page.path, page.text, readRepoFile));
    for (const extra of ["SECURITY.md", "CHANGELOG.md"]) problems.push(...brokenLinks(extra, readRepoFile(extra) ?? "", readRepoFile));
    expect(problems).toEqual([]);
  });

  it("finds a broken link and a broken anchor, so the check above can fail", () => {
    const read = (file: string) => (file === "docs/a.md" ? "# A\n\n## Exit codes\n" : undefined);
    expect(brokenLinks("docs/b.md", "[x](a.md#exit-codes) [y](a.md#nope) [z](gone.md) [w](https://example.com/x)", read)).toEqual([
      "docs/b.md: a.md#nope (no heading #nope in docs/a.md)",
      "docs/b.md: gone.md (no file docs/gone.md)",
    ]);
    expect([...anchorsOf("## The emulator: `npm run emulator`\n## Outputs\n## Outputs\n```\n## not a heading\n```")]).toEqual([
      "the-emulator-npm-run-emulator",
      "outputs",
      "outputs-1",
    ]);
  });

  it("lists every configuration key Pulumi.yaml declares, and no other", () => {
    const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
    const documented = firstColumnNames(readFileSync(path.join(root, "docs", "configuration.md"), "utf8"), "## Configuration");
    expect(documented.sort()).toEqual(["azure-native:location", ...Object.keys(project.config)].sort());
  });

  it("lists every stack output the program exports, and no other", () => {
    const program = readFileSync(path.join(root, "infra", "program.ts"), "utf8");
    const block = program.slice(program.indexOf("export interface StackOutputs"), program.indexOf("\n}\n", program.indexOf("export interface StackOutputs")));
    const exported = [...block.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!);
    expect(exported.length).toBeGreaterThan(10);
    expect(firstColumnNames(readFileSync(path.join(root, "docs", "configuration.md"), "utf8"), "### Outputs").sort()).toEqual(exported.sort());
  });

  it("names only npm scripts that exist, and names every user-facing one", () => {
    const text = docs();
    const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const named = new Set([...text.matchAll(/npm run (?:--silent )?([\w-]+)/g)].map((m) => m[1]!));
    for (const script of named) expect(scripts, `the docs name npm run ${script}`).toContain(script);
    for (const script of ["bootstrap", "refresh", "status", "bench"]) expect(named).toContain(script);
    expect(text).toContain("npm test");
  });

  it("documents every command and every option of every command", () => {
    const text = docs();
    const missing: string[] = [];
    for (const { name, options } of commandsWithOptions()) {
      if (!text.includes(`\`${name.split(" ")[0]}\``)) missing.push(`command ${name}`);
      for (const option of options) if (!new RegExp(`${option}(?![a-z-])`).test(text)) missing.push(`${name} ${option}`);
    }
    expect(missing).toEqual([]);
  });

  it("documents in its option tables only options that exist", () => {
    // Commander's own --help and --version exist on the program and every command.
    const existing = new Set([...commandsWithOptions().flatMap((c) => c.options), "--help", "--version"]);
    const documented = pages.flatMap((page) =>
      page.text
        .split("\n")
        .filter((line) => /^\| `--/.test(line))
        .flatMap((row) => (row.split("|")[1]!.match(/--[a-z][a-z-]*/g) ?? []).map((flag) => `${page.path}: ${flag}`)),
    );
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((entry) => !existing.has(entry.split(": ")[1]!))).toEqual([]);
  });

  it("has the README's command table name every command, one line each", () => {
    const rows = docSection("The command line")
      .split("\n")
      .filter((line) => /^\| `[a-z-]+` \|/.test(line))
      .map((line) => /^\| `([a-z-]+)`/.exec(line)![1]);
    expect(rows).toEqual(COMMANDS.map((factory) => factory().name()));
  });
});
