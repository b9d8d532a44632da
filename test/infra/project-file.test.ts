import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_SETTINGS, parseStackConfig } from "../../infra/config";

const root = process.cwd();
const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const devStack = parse(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"));

const CONFIG_TYPES: Record<string, string> = { string: "string", number: "integer", boolean: "boolean", object: "array" };

describe("Pulumi.yaml", () => {
  it("declares the Node.js program in infra/index.ts, compiled with the project's strict tsconfig", () => {
    expect(project.name).toBe("partner-center-sam");
    expect(project.runtime.name).toBe("nodejs");
    expect(project.runtime.options.typescript).toBe(true);
    // Pulumi runs the program from main's folder and resolves the tsconfig path from there.
    const programDir = path.dirname(path.join(root, project.main));
    expect(statSync(path.join(root, project.main)).isFile()).toBe(true);
    expect(path.relative(root, path.join(root, project.main))).toBe(path.join("infra", "index.ts"));
    expect(path.resolve(programDir, project.runtime.options.tsconfig)).toBe(path.join(root, "tsconfig.json"));
    expect(JSON.parse(readFileSync(path.join(root, "tsconfig.json"), "utf8")).compilerOptions.strict).toBe(true);
  });

  it("refreshes state on every operation, so the rotation timer can expire", () => {
    expect(project.options).toEqual({ refresh: "always" });
  });

  it("declares every setting with its type, a description and the program's default", () => {
    expect(Object.keys(project.config).sort()).toEqual(Object.keys(PROJECT_SETTINGS).sort());
    for (const [name, value] of Object.entries(PROJECT_SETTINGS)) {
      const declared = project.config[name];
      const expected = { type: CONFIG_TYPES[typeof value], default: value, ...(Array.isArray(value) ? { items: { type: "string" } } : {}) };
      expect([name, { type: declared.type, default: declared.default, ...(declared.items ? { items: declared.items } : {}) }]).toEqual([
        name,
        expected,
      ]);
      expect([name, typeof declared.description, declared.description.length > 10]).toEqual([name, "string", true]);
    }
  });

  it("does not declare azure-native:location, which the CLI forbids typing or defaulting for another namespace", () => {
    expect(Object.keys(project.config).filter((key) => key.includes(":"))).toEqual([]);
  });
});

describe("Pulumi.yaml's template section, for `pulumi new`", () => {
  it("describes the project and prompts for the region and the common settings", () => {
    expect(project.template.description.length).toBeGreaterThan(20);
    expect(Object.keys(project.template.config)).toEqual(["azure-native:location", "appDisplayName", "clientSecretRotationDays", "grantAdminConsent"]);
    for (const [key, prompt] of Object.entries<{ description: string }>(project.template.config)) {
      expect([key, typeof prompt.description, prompt.description.length > 10]).toEqual([key, "string", true]);
    }
  });

  it("prompts only for settings the project declares, with defaults the program accepts", () => {
    const values: Record<string, string> = {};
    for (const [key, prompt] of Object.entries<{ default: unknown }>(project.template.config)) {
      if (!key.includes(":")) expect(Object.keys(PROJECT_SETTINGS)).toContain(key);
      values[key.includes(":") ? key : `partner-center-sam:${key}`] = String(prompt.default);
    }
    const config = parseStackConfig(values, "partner-center-sam", "dev");
    expect([config.location, config.clientSecretRotationDays, config.grantAdminConsent]).toEqual(["westeurope", 150, false]);
  });
});

describe("Pulumi.dev.yaml", () => {
  it("is a complete, valid stack configuration once merged with the project defaults", () => {
    const values: Record<string, string> = {};
    for (const [name, declaration] of Object.entries<{ default: unknown }>(project.config)) {
      values[`partner-center-sam:${name}`] = typeof declaration.default === "string" ? declaration.default : JSON.stringify(declaration.default);
    }
    for (const [key, value] of Object.entries(devStack.config)) {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const config = parseStackConfig(values, "partner-center-sam", "dev");
    expect(config.location).toBe("westeurope");
    expect(config.clientSecretRotationDays).toBe(90);
    expect([config.softDeleteRetentionDays, config.purgeProtection]).toEqual([7, false]);
  });
});

describe("package.json", () => {
  it("keeps the package CommonJS, as the Pulumi program and azure-native's submodule imports need", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.type ?? "commonjs").toBe("commonjs");
  });
});
