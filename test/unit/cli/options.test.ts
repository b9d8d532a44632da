import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OptionProblems } from "../../../bootstrap/src/cli/options";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type SharedOptions } from "../../../bootstrap/src/cli/shared-options";
import { resolveTarget } from "../../../bootstrap/src/vault/vault-target";
import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT } from "../../../bootstrap/src/core/contract";
import { ExitCode, UsageError } from "../../../bootstrap/src/core/errors";
import { URL_RULES } from "../../../bootstrap/src/core/validate";
import { validStackOutputs } from "../fixtures";

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

/** Command-line flags, as a person types them. */
interface TargetFlags {
  vaultUri?: string;
  stack?: string;
  outputs?: string;
  authorityHost?: string;
  partnerCenterEndpoint?: string;
}

const WAIT = { accessWait: 60, timeout: 120 };

/** Parses `flags` (and `env`) with a command declaring the shared options, as the CLI does. */
function parseShared(flags: TargetFlags, env: NodeJS.ProcessEnv = {}, problems = new OptionProblems()): SharedOptions {
  const command = new Command("probe").exitOverride();
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  addWaitOptions(command, WAIT);
  addJsonOption(command);
  const argv = Object.entries(flags).flatMap(([key, value]) => [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value as string]);
  const saved = process.env.AZURE_AUTHORITY_HOST;
  if (env.AZURE_AUTHORITY_HOST === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = env.AZURE_AUTHORITY_HOST;
  try {
    command.parse(argv, { from: "user" });
  } finally {
    if (saved === undefined) delete process.env.AZURE_AUTHORITY_HOST;
    else process.env.AZURE_AUTHORITY_HOST = saved;
  }
  return resolveShared(command, problems, WAIT);
}

/** The problems the shared options record for `flags` (empty when there are none). */
function targetProblems(flags: TargetFlags, env: NodeJS.ProcessEnv = {}): string[] {
  const problems = new OptionProblems();
  parseShared(flags, env, problems);
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
    problems.url("--authority-host", "http://login.example.test", URL_RULES.authorityHost);
    problems.add("--stack and --outputs are alternatives: pass one of them");
    const error = thrownBy(problems);
    expect(error.code).toBe("invalid_options");
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message.split("\n")).toEqual([
      "Invalid options:",
      '  - --timeout must be a whole number from 1 to 3600, got "soon" (example: --timeout 300)',
      '  - --authority-host must be an https URL of the host only, such as https://login.microsoftonline.com, got "http://login.example.test": it uses http; only https is accepted',
      "  - --stack and --outputs are alternatives: pass one of them",
    ]);
    expect(error.hint).toContain("--help");
  });

  it("does not throw when there are no problems", () => {
    const problems = new OptionProblems();
    expect(problems.integer("--timeout", "120", 300, 1, 3600)).toBe(120);
    expect(problems.url("--authority-host", "https://login.example.test/", URL_RULES.authorityHost)).toBe("https://login.example.test");
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

describe("the shared options (resolveShared)", () => {
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
    const checked = parseShared({ vaultUri: "http://kv-direct.vault.azure.net/" }, {}, problems);
    expect(checked.source.vaultUri).toBeUndefined();
    expect(thrownBy(problems).message).toContain('--vault-uri must be an https URL such as https://kv-name.vault.azure.net/, got "http://kv-direct.vault.azure.net/": it uses http');
  });

  it("rejects non-https authority hosts and Partner Center endpoints together", () => {
    const problems = targetProblems({ vaultUri: VAULT_URI, authorityHost: "login.example.test", partnerCenterEndpoint: "http://pc.example.test" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain("--authority-host");
    expect(problems[1]).toContain("--partner-center-endpoint");
  });

  it("trims trailing slashes from the authority host and Partner Center endpoint", () => {
    const checked = parseShared({ authorityHost: "https://login.example.test/", partnerCenterEndpoint: "https://pc.example.test/" });
    expect(checked.source).toMatchObject({ authorityHost: "https://login.example.test", partnerCenterEndpoint: "https://pc.example.test" });
  });

  it.each<[string, TargetFlags, RegExp]>([
    ["an authority host with a tenant path", { authorityHost: "https://login.example.test/contoso.onmicrosoft.com" }, /--authority-host .*it has a path \("\/contoso\.onmicrosoft\.com"\); give the host only/],
    ["an authority host with a query", { authorityHost: "https://login.example.test/?x=1" }, /--authority-host .*query string/],
    ["a vault URI with a fragment", { vaultUri: "https://kv.vault.azure.net/#x" }, /--vault-uri .*fragment/],
    ["a vault URI with a path", { vaultUri: "https://kv.vault.azure.net/secrets/x" }, /--vault-uri .*it has a path/],
    ["a Partner Center endpoint with a query", { partnerCenterEndpoint: "https://pc.example.test/v1?x=1" }, /--partner-center-endpoint .*query string/],
    ["an empty --stack", { stack: "" }, /--stack must name a Pulumi stack \(omit it to use the selected stack\), got an empty value/],
    ["a blank --outputs", { outputs: "  " }, /--outputs must name a file, got an empty value/],
  ])("rejects %s", (_case, flags, problem) => {
    const problems = targetProblems(flags);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it("never shows the password of a URL with credentials, only that it has some", () => {
    const problems = targetProblems({ vaultUri: "https://admin:Hunter2-Secret@kv.vault.azure.net/", authorityHost: "https://u:Pa55word@login.example.test" });
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).toContain('"https://***@kv.vault.azure.net/": it contains a user name or password');
    expect(problems.join("\n")).not.toMatch(/Hunter2|Pa55word|admin/);
  });

  it("checks AZURE_AUTHORITY_HOST like --authority-host and reports it with the flags' problems", () => {
    const problems = targetProblems({ vaultUri: "http://kv.vault.azure.net/" }, { AZURE_AUTHORITY_HOST: "https://login.example.test/common" });
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/^ {2}- AZURE_AUTHORITY_HOST \(environment\) must be an https URL of the host only.*it has a path \("\/common"\)/);
  });

  it("takes AZURE_AUTHORITY_HOST in its normal form and ignores it when empty", () => {
    expect(parseShared({}, { AZURE_AUTHORITY_HOST: "https://login.example.test/" }).source.authorityHost).toBe("https://login.example.test");
    expect(parseShared({}, { AZURE_AUTHORITY_HOST: "" }).source.authorityHost).toBeUndefined();
    expect(targetProblems({}, { AZURE_AUTHORITY_HOST: "" })).toEqual([]);
  });

  it("lets --authority-host override AZURE_AUTHORITY_HOST", () => {
    expect(parseShared({ authorityHost: "https://login.flag.test" }, { AZURE_AUTHORITY_HOST: "https://login.env.test" }).source.authorityHost).toBe("https://login.flag.test");
  });

  it("uses the command's wait defaults and turns seconds into milliseconds", () => {
    expect(parseShared({})).toMatchObject({ accessWaitMs: 60_000, timeoutMs: 120_000, json: false });
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
      expect(await resolveTarget({ vaultUri: VAULT_URI })).toEqual({
        keyVaultUri: VAULT_URI,
        secretNames: { ...DEFAULT_SECRET_NAMES },
        authorityHost: PUBLIC_AUTHORITY_HOST,
        partnerCenterEndpoint: PUBLIC_PARTNER_CENTER_ENDPOINT,
        graphEndpoint: "https://graph.microsoft.com",
      });
    });

    it("uses the Graph endpoint it is given (the resolved --graph-endpoint), for a sovereign cloud", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI, graphEndpoint: "https://graph.microsoft.us" });
      expect(target.graphEndpoint).toBe("https://graph.microsoft.us");
    });

    it("uses the authority host it is given (the resolved --authority-host or AZURE_AUTHORITY_HOST)", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI, authorityHost: "https://login.flag.test" });
      expect(target.authorityHost).toBe("https://login.flag.test");
    });

    it("uses --partner-center-endpoint when given", async () => {
      const target = await resolveTarget({ vaultUri: VAULT_URI, partnerCenterEndpoint: "https://pc.flag.test" });
      expect(target.partnerCenterEndpoint).toBe("https://pc.flag.test");
    });
  });

  describe("with --outputs", () => {
    it("takes the vault, secret names and endpoints from the file", async () => {
      const target = await resolveTarget({ outputsFile });
      expect(target).toMatchObject({
        keyVaultUri: validStackOutputs().keyVaultUri,
        secretNames: validStackOutputs().secretNames,
        authorityHost: "https://login.stack.test",
        partnerCenterEndpoint: "https://pc.stack.test",
      });
      expect(target.outputs?.tenantId).toBe(validStackOutputs().tenantId);
    });

    it("lets the given authority host override the stack's", async () => {
      expect((await resolveTarget({ outputsFile, authorityHost: "https://login.flag.test" })).authorityHost).toBe("https://login.flag.test");
    });

    it("lets --partner-center-endpoint override the stack's endpoint", async () => {
      const target = await resolveTarget({ outputsFile, partnerCenterEndpoint: "https://pc.flag.test" });
      expect(target.partnerCenterEndpoint).toBe("https://pc.flag.test");
    });

    it("fails with the stack-output error when the file is missing", async () => {
      await expect(resolveTarget({ outputsFile: path.join(dir, "absent.json") })).rejects.toMatchObject({ code: "outputs_file_unreadable", exitCode: ExitCode.Usage });
    });
  });
});
