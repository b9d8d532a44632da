/**
 * bootstrap/src is in folders by job, in layers: each folder imports only from
 * its own layer or the layers below it, every folder says what it is for, and
 * no source file grows past 400 lines.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.join(process.cwd(), "bootstrap", "src");

/** The layers, from the bottom. Folders on the same layer may import each other only where listed. */
export const LAYERS: Record<string, number> = {
  core: 1,
  vault: 2,
  "partner-center": 2,
  entra: 3,
  fleet: 4,
  notify: 4,
  "sign-in": 4,
  flows: 5,
  cli: 6,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

/** The folder of bootstrap/src a path lies in ("" for a file at the top, such as index.ts). */
function folderOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : "";
}

/** Every relative import of one file's text (static, dynamic and type-only), resolved to a path. */
export function relativeImports(file: string, text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => path.resolve(path.dirname(file), m[1]!));
}

/** The imports of a file that go up a layer, or out of bootstrap/src into a folder this layer may not use. */
export function violations(file: string, text: string): string[] {
  const from = folderOf(file);
  if (from === "") return [];
  const layer = LAYERS[from];
  if (layer === undefined) return [`${path.relative(SRC, file)}: folder ${from}/ has no layer`];
  const found: string[] = [];
  for (const target of relativeImports(file, text)) {
    if (!target.startsWith(SRC + path.sep)) continue;
    const to = folderOf(target);
    if (to === "") {
      found.push(`${path.relative(SRC, file)} imports ${path.relative(SRC, target)} (the library's entry point)`);
      continue;
    }
    const targetLayer = LAYERS[to];
    if (targetLayer === undefined || targetLayer > layer) found.push(`${path.relative(SRC, file)} (${from}, layer ${layer}) imports ${path.relative(SRC, target)} (${to}, layer ${targetLayer ?? "none"})`);
  }
  return found;
}

describe("the layout of bootstrap/src", () => {
  const files = sourceFiles(SRC);

  it("has no file at the top but the library's entry point", () => {
    expect(files.filter((f) => folderOf(f) === "").map((f) => path.relative(SRC, f))).toEqual(["index.ts"]);
  });

  it("imports only from the same layer or below", () => {
    const found = files.flatMap((f) => violations(f, readFileSync(f, "utf8")));
    expect(found).toEqual([]);
  });

  it("finds an import that goes up a layer, so the check above can fail", () => {
    const file = path.join(SRC, "core", "x.ts");
    expect(violations(file, 'import { runToken } from "../flows/token-flow";\nconst m = await import("../cli/reporter");')).toEqual([
      "core/x.ts (core, layer 1) imports flows/token-flow (flows, layer 5)",
      "core/x.ts (core, layer 1) imports cli/reporter (cli, layer 6)",
    ]);
    expect(violations(path.join(SRC, "flows", "y.ts"), 'import type { X } from "../core/errors";')).toEqual([]);
  });

  it("says in each folder what it is for", () => {
    const folders = readdirSync(SRC).filter((name) => statSync(path.join(SRC, name)).isDirectory());
    expect(folders.length).toBeGreaterThanOrEqual(7);
    for (const folder of folders) {
      expect(Object.keys(LAYERS), `${folder}/ has a layer`).toContain(folder);
      const readme = readFileSync(path.join(SRC, folder, "README.md"), "utf8");
      expect(readme, `${folder}/README.md`).toMatch(new RegExp(`^# ${folder}/ — layer ${LAYERS[folder]}\\n\\n\\S`));
    }
  });

  it("keeps every source file at 400 lines or fewer", () => {
    const long = files.map((f) => [path.relative(SRC, f), readFileSync(f, "utf8").split("\n").length - 1] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
