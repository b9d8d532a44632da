/**
 * The README stays true: the configuration keys, stack outputs and npm scripts
 * it names are exactly the ones that exist.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = process.cwd();
const readme = readFileSync(path.join(root, "README.md"), "utf8");

/** The backticked names in the first column of the table that follows `heading`. */
function firstColumnNames(heading: string): string[] {
  const section = readme.slice(readme.indexOf(heading));
  const table = section.slice(section.indexOf("\n|")).split("\n\n")[0]!;
  return table
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .slice(1)
    .flatMap((line) => [...line.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe("the README", () => {
  it("lists every configuration key Pulumi.yaml declares, and no other", () => {
    const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config: Record<string, unknown> };
    const documented = firstColumnNames("## Configuration");
    expect(documented.sort()).toEqual(["azure-native:location", ...Object.keys(project.config)].sort());
  });

  it("lists every stack output the program exports, and no other", () => {
    const program = readFileSync(path.join(root, "infra", "program.ts"), "utf8");
    const block = program.slice(program.indexOf("export interface StackOutputs"), program.indexOf("\n}\n", program.indexOf("export interface StackOutputs")));
    const exported = [...block.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!);
    expect(exported.length).toBeGreaterThan(10);
    expect(firstColumnNames("### Outputs").sort()).toEqual(exported.sort());
  });

  it("names only npm scripts that exist, and names every user-facing one", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const named = new Set([...readme.matchAll(/npm run (?:--silent )?([\w-]+)/g)].map((m) => m[1]!));
    for (const script of named) expect(scripts, `README names npm run ${script}`).toContain(script);
    for (const script of ["bootstrap", "refresh", "status", "bench"]) expect(named).toContain(script);
    expect(readme).toContain("npm test");
  });
});
