import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkTargetFlags, OptionProblems, resolveTarget, type TargetFlags } from "../../bootstrap/src/cli/options";
import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT } from "../../bootstrap/src/contract";
import { ExitCode, UsageError } from "../../bootstrap/src/errors";
import { validStackOutputs } from "./fixtures";

const VAULT_URI = "https://kv-direct.vault.azure.net/";

/** The UsageError `problems.throwIfAny()` throws. */
function thrownBy(problems: OptionProblems): UsageError {
  try {
    problems.throwIfAny();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected throwIfAny() to throw");
}

/** The problems checkTargetFlags records for `flags` (empty when there are none). */
function targetProblems(flags: TargetFlags): string[] {
  const problems = new OptionProblems();
  checkTargetFlags(flags, problems);
  try {
    problems.throwIfAny();
    return [];
  } catch (error) {
    return (error as Error).message.split("\n").slice(1);
  }
}

describe("OptionProblems", () => {
  it("reports every problem in one usage error with exit code 2", () => {
    const problems = new OptionProblems();
    problems.integer("--timeout", "soon", 300, 1, 3600);
    problems.httpsUrl("--authority-host", "http://login.example.test");
    problems.add("--stack and --outputs are alternatives: pass one of them");
    const error = thrownBy(problems);
    expect(error.code).toBe("invalid_options");
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message.split("\n")).toEqual([
      "Invalid options:",
      '  - --timeout must be a whole number from 1 to 3600, got "soon" (example: --timeout 300)',
      '  - --authority-host must be an https URL, got "http://login.example.test"',
      "  - --stack and --outputs are alternatives: pass one of them",
    ]);
    expect(error.hint).toContain("--help");
  });

  it("does not throw when there are no problems", () => {
    const problems = new OptionProblems();
    expect(problems.integer("--timeout", "120", 300, 1, 3600)).toBe(120);
    expect(problems.httpsUrl("--authority-host", "https://login.example.test/")).toBe("https://login.example.test");
    expect(() => problems.throwIfAny()).not.toThrow();
  });

  it("uses the fallback when an integer option is absent", () => {
    expect(new OptionProblems().integer("--warn-days", undefined, 14, 0, 365)).toBe(14);
  });

  it.each(["1.5", "-1", "0", "3601", "1e3", "", " "])("rejects %j as a whole number from 1 to 3600", (raw) => {
    const problems = new OptionProblems();
    expect(problems.integer("--timeout", raw, 300, 1, 3600)).toBe(300);
    expect(thrownBy(problems).message).toContain("--timeout must be a whole number from 1 to 3600");
  });

  it("accepts the bounds of an integer range", () => {
    const problems = new OptionProblems();
    expect([problems.integer("--t", "1", 5, 1, 10), problems.integer("--t", "10", 5, 1, 10)]).toEqual([1, 10]);
    expect(() => problems.throwIfAny()).not.toThrow();
  });
});

describe("checkTargetFlags", () => {
  it.each<[string, TargetFlags]>([
    ["--vault-uri with --stack", { vaultUri: VAULT_URI, stack: "dev" }],
    ["--vault-uri with --outputs", { vaultUri: VAULT_URI, outputs: "outputs.json" }],
  ])("rejects %s", (_case, flags) => {
    expect(targetProblems(flags)).toEqual(["  - --vault-uri cannot be combined with --stack or --outputs: pass one way to find the vault"]);
  });

  it("rejects --stack with --outputs", () => {
    expect(targetProblems({ stack: "dev", outputs: "outputs.json" })).toEqual(["  - --stack and --outputs are alternatives: pass one of them"]);
  });

  it.each<TargetFlags>([{}, { stack: "dev" }, { outputs: "outputs.json" }, { vaultUri: VAULT_URI }])("accepts %j", (flags) => {
    expect(targetProblems(flags)).toEqual([]);
  });

  it("rejects a vault URI that is not https", () => {
    const problems = new OptionProblems();
    const checked = checkTargetFlags({ vaultUri: "http://kv-direct.vault.azure.net/" }, problems);
    expect(checked.vaultUri).toBeUndefined();
    expect(thrownBy(problems).message).toContain('--vault-uri must be an https URL, got "http://kv-direct.vault.azure.net/"');
  });

  it("rejects non-https authority hosts and Partner Center endpoints together", () => {
    const problems = targetProblems({ vaultUri: VAULT_URI, authorityHost: "login.example.test", partnerCenterEndpoint: "http://pc.example.test" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("--authority-host");
    expect(problems[1]).toContain("--partner-center-endpoint");
  });

  it("trims trailing slashes from the authority host and Partner Center endpoint", () => {
    const checked = checkTargetFlags({ authorityHost: "https://login.example.test/", partnerCenterEndpoint: "https://pc.example.test/" }, new OptionProblems());
    expect(checked).toMatchObject({ authorityHost: "https://login.example.test", partnerCenterEndpoint: "https://pc.example.test" });
  });
});

describe("resolveTarget", () => {
  let dir: string;
  let outputsFile: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-unit-options-"));
    outputsFile = path.join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify({ ...validStackOutputs(), authorityHost: "https://login.stack.test/", partnerCenterEndpoint: "https://pc.stack.test" }));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe("with --vault-uri", () => {
    it("uses the default secret names and the public cloud", async () => {
      expect(await resolveTarget({ vaultUri: VAULT_URI }, {})).toEqual({
        keyVaultUri: VAULT_URI,
        secretNames: { ...DEFAULT_SECRET_NAMES },
        authorityHost: PUBLIC_AUTHORITY_HOST,
        partnerCenterEndpoint: PUBLIC_PARTNER_CENTER_ENDPOINT,
      });
    });

    it("lets AZURE_AUTHORITY_HOST override the public authority host", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI }, { AZURE_AUTHORITY_HOST: "https://login.env.test/" });
      expect(target.authorityHost).toBe("https://login.env.test");
    });

    it("lets --authority-host override AZURE_AUTHORITY_HOST", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI, authorityHost: "https://login.flag.test" }, { AZURE_AUTHORITY_HOST: "https://login.env.test" });
      expect(target.authorityHost).toBe("https://login.flag.test");
    });

    it("uses --partner-center-endpoint when given", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI, partnerCenterEndpoint: "https://pc.flag.test" }, {});
      expect(target.partnerCenterEndpoint).toBe("https://pc.flag.test");
    });
  });

  describe("with --outputs", () => {
    it("takes the vault, secret names and endpoints from the file", async () => {
      const target = await resolveTarget({ outputs: outputsFile }, {});
      expect(target).toMatchObject({
        keyVaultUri: validStackOutputs().keyVaultUri,
        secretNames: validStackOutputs().secretNames,
        authorityHost: "https://login.stack.test",
        partnerCenterEndpoint: "https://pc.stack.test",
      });
      expect(target.outputs?.tenantId).toBe(validStackOutputs().tenantId);
    });

    it("lets AZURE_AUTHORITY_HOST override the stack's authority host, and --authority-host override both", async () => {
      const env = { AZURE_AUTHORITY_HOST: "https://login.env.test" };
      expect((await resolveTarget({ outputs: outputsFile }, env)).authorityHost).toBe("https://login.env.test");
      expect((await resolveTarget({ outputs: outputsFile, authorityHost: "https://login.flag.test" }, env)).authorityHost).toBe("https://login.flag.test");
    });

    it("lets --partner-center-endpoint override the stack's endpoint", async () => {
      const target = await resolveTarget({ outputs: outputsFile, partnerCenterEndpoint: "https://pc.flag.test" }, {});
      expect(target.partnerCenterEndpoint).toBe("https://pc.flag.test");
    });

    it("fails with the stack-output error when the file is missing", async () => {
      await expect(resolveTarget({ outputs: path.join(dir, "absent.json") }, {})).rejects.toMatchObject({ code: "outputs_file_unreadable", exitCode: ExitCode.Usage });
    });
  });
});
