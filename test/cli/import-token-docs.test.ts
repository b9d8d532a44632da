/**
 * docs/migrating.md documents import-token completely (every option, every error
 * code it adds) and never shows a command that could download a package.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importTokenCommand } from "../../bootstrap/src/cli/import-token";
import { ERROR_CATALOGUE } from "../../bootstrap/src/core/error-catalogue";

const docs = ["migrating.md", "urn-recipes.md"].map((name) => ({ name, text: readFileSync(path.join(process.cwd(), "docs", name), "utf8") }));
const migrating = docs[0]!.text;

describe("docs/migrating.md", () => {
  it.each(docs.map((d) => [d.name, d.text]))("%s starts with its title and a paragraph that says whom it is for", (_name, text) => {
    expect(text).toMatch(/^# \S.*\n\nFor (partners|whoever) /);
  });

  it("documents every option of import-token in its reference table", () => {
    const table = migrating.slice(migrating.indexOf("### `import-token` reference"));
    const documented = new Set([...table.matchAll(/^\| ((?:`--[a-z-]+[^`]*`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(--[a-z-]+)/g)].map((f) => f[1]!)));
    const options = importTokenCommand().options.map((o) => o.long!).filter((long) => long !== "--help" && long !== "--version");
    expect(options.filter((long) => !documented.has(long))).toEqual([]);
    expect(options.length).toBeGreaterThanOrEqual(11);
  });

  it("documents every error code import-token adds, with its exit code", () => {
    const codes = Object.keys(ERROR_CATALOGUE).filter((code) => code.startsWith("import_token_") || code === "refresh_token_in_use");
    expect(codes.length).toBe(7);
    for (const code of codes) {
      const row = new RegExp(`^\\| ${ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].exitCode} \\| \`${code}\` \\|`, "m");
      expect(migrating, code).toMatch(row);
    }
  });

  it.each(docs.map((d) => [d.name, d.text]))("%s never runs a bare `npx partner-center-sam`, which could fetch from the registry", (_name, text) => {
    expect(text.match(/npx (?!--no-install)\S*\s*partner-center-sam/g) ?? []).toEqual([]);
  });
});
