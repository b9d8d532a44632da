/**
 * `partner-center-sam/infra`: the compiled component, as another TypeScript
 * Pulumi program gets it through the package's `exports`. A consumer project
 * (a temporary folder whose node_modules links this package and the Pulumi
 * packages it already has) compiles consumer-program.ts with the import
 * rewritten to the package name, then runs it under the stand-in.
 *
 * Needs dist/ built (`npm run build`; `npm test` builds first).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumerProgram } from "./consumer-program";
import { RecordedResource, TYPES, runStack } from "./pulumi-mocks";

const root = process.cwd();
const SOURCE_IMPORT = '"../../infra/partner-center-sam"';
const PACKAGE_IMPORT = '"partner-center-sam/infra"';
let consumer: string;
let consumerRequire: NodeRequire;

function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at, "dir");
}

/** Type, name, parent type and inputs of every resource, in registration order. */
function declared(resources: readonly RecordedResource[]) {
  return resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent.split("::")[2], inputs: r.inputs, protect: r.protect }));
}

beforeAll(() => {
  if (!existsSync(path.join(root, "dist", "infra", "partner-center-sam.js"))) {
    throw new Error("dist/infra is not built: run `npm run build` (npm test does) first.");
  }
  consumer = mkdtempSync(path.join(os.tmpdir(), "pcsam-infra-consumer-"));
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "platform", version: "1.0.0", private: true }));
  link(root, path.join(consumer, "node_modules", "partner-center-sam"));
  for (const scope of ["@pulumi", "@pulumiverse"]) link(path.join(root, "node_modules", scope), path.join(consumer, "node_modules", scope));
  const source = readFileSync(path.join(root, "test", "infra", "consumer-program.ts"), "utf8");
  expect(source).toContain(SOURCE_IMPORT);
  writeFileSync(path.join(consumer, "consumer-program.ts"), source.replace(SOURCE_IMPORT, PACKAGE_IMPORT));
  writeFileSync(
    path.join(consumer, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: true, types: [], outDir: "out" },
      files: ["consumer-program.ts"],
    }),
  );
  consumerRequire = createRequire(path.join(consumer, "package.json"));
});
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

describe("the package export partner-center-sam/infra", () => {
  it("resolves through package.json exports to the compiled component, and nothing deeper is exported", () => {
    expect(consumerRequire.resolve("partner-center-sam/infra")).toBe(path.join(root, "dist", "infra", "partner-center-sam.js"));
    expect(() => consumerRequire.resolve("partner-center-sam/dist/infra/program.js")).toThrow(/not defined by "exports"/);
    const exported = consumerRequire("partner-center-sam/infra") as Record<string, unknown>;
    expect(Object.keys(exported).sort()).toEqual(
      ["ConfigValidationError", "PARTNER_CENTER_SAM_TYPE", "PartnerCenterSam", "argsFromStackConfig", "resolvePartnerCenterSamArgs"].sort(),
    );
    expect(exported["PARTNER_CENTER_SAM_TYPE"]).toBe("partner-center-sam:index:PartnerCenterSam");
  });

  it("type-checks and compiles another TypeScript program that imports it by the package name", () => {
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    const result = (() => {
      try {
        return { code: 0, out: execFileSync(process.execPath, [tsc, "-p", consumer], { encoding: "utf8" }) };
      } catch (error) {
        return { code: 1, out: String((error as { stdout?: string }).stdout) };
      }
    })();
    expect(result).toEqual({ code: 0, out: "" });
    expect(readFileSync(path.join(consumer, "out", "consumer-program.js"), "utf8")).toContain('require("partner-center-sam/infra")');
  });

  it("declares, under the Pulumi mocks, exactly what the component's sources declare", async () => {
    const compiled = path.join(consumer, "out", "consumer-program.js");
    expect(existsSync(compiled), "the compile test above runs first").toBe(true);
    const { consumerProgram: compiledProgram } = consumerRequire(compiled) as { consumerProgram: typeof consumerProgram };
    const fromPackage = await runStack({}, compiledProgram, { project: "platform", stack: "prod" });
    const fromSources = await runStack({}, consumerProgram, { project: "platform", stack: "prod" });
    expect(fromPackage.resources.filter((r) => r.type === TYPES.vault)).toHaveLength(1);
    expect(declared(fromPackage.resources)).toEqual(declared(fromSources.resources));
    expect(fromPackage.outputs).toEqual(fromSources.outputs);
    expect(fromPackage.outputs["keyVaultUri"]).toBe("https://kv-platform-sam.vault.azure.net/");
  });
});
