import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, UsageError } from "../../../bootstrap/src/core/errors";
import { loadStackOutputs, parseStackOutputs } from "../../../bootstrap/src/vault/stack-outputs";
import { validStackOutputs } from "../fixtures";

/** Runs `fn` and returns the UsageError it throws (fails the test if it throws anything else or nothing). */
async function usageErrorFrom(fn: () => unknown): Promise<UsageError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError, but nothing was thrown");
}

const FIELDS = ["tenantId", "clientId", "redirectUri", "keyVaultUri", "secretNames", "scopes", "authorityHost", "partnerCenterEndpoint"];

describe("parseStackOutputs", () => {
  it("accepts a complete set of outputs", () => {
    const raw = validStackOutputs();
    const parsed = parseStackOutputs(raw);
    expect(parsed).toEqual({ ...raw });
  });

  it("trims trailing slashes from authorityHost and partnerCenterEndpoint", () => {
    const parsed = parseStackOutputs({
      ...validStackOutputs(),
      authorityHost: "https://login.example.test//",
      partnerCenterEndpoint: "https://pc.example.test/",
    });
    expect(parsed.authorityHost).toBe("https://login.example.test");
    expect(parsed.partnerCenterEndpoint).toBe("https://pc.example.test");
  });

  it("accepts outputs without the optional adminConsentUrl", () => {
    const { adminConsentUrl: _unused, ...raw } = validStackOutputs();
    expect(parseStackOutputs(raw).adminConsentUrl).toBeUndefined();
  });

  it.each(FIELDS)("names %s when it is missing, as a usage error that says to run pulumi up", async (field) => {
    const raw = validStackOutputs();
    delete raw[field];
    const error = await usageErrorFrom(() => parseStackOutputs(raw));
    expect(error.code).toBe("stack_outputs_invalid");
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message).toContain(`${field} is missing`);
    expect(error.hint).toContain("pulumi up");
  });

  it.each<[string, unknown]>([
    ["tenantId", "contoso.onmicrosoft.com"],
    ["clientId", 42],
    ["redirectUri", "http://example.com/callback"],
    ["keyVaultUri", "http://kv-pcsam-test.vault.azure.net/"],
    ["authorityHost", "login.microsoftonline.com"],
    ["partnerCenterEndpoint", "ftp://api.partnercenter.microsoft.com"],
    ["scopes", []],
    ["scopes", ["https://api.partnercenter.microsoft.com/user_impersonation", ""]],
    ["secretNames", "pc-names"],
    ["secretNames", ["pc-client-id"]],
    ["adminConsentUrl", "http://login.microsoftonline.com/adminconsent"],
    ["redirectUri", "http://localhost:0/"],
    ["redirectUri", "http://localhost:8400/?x=1"],
    ["redirectUri", "https://app.example.test/cb#frag"],
    ["redirectUri", "http://127.0.0.1:8400/"],
    ["authorityHost", "https://login.microsoftonline.com/contoso.onmicrosoft.com"],
    ["authorityHost", "https://login.microsoftonline.com/?x=1"],
    ["keyVaultUri", "https://kv-pcsam-test.vault.azure.net/secrets"],
    ["keyVaultUri", "https://user@kv-pcsam-test.vault.azure.net/"],
    ["partnerCenterEndpoint", "https://api.partnercenter.microsoft.com/?v=1"],
    ["partnerCenterEndpoint", "https://api.partnercenter.microsoft.com/#v1"],
  ])("names %s when it is malformed (%j)", async (field, value) => {
    const error = await usageErrorFrom(() => parseStackOutputs({ ...validStackOutputs(), [field]: value }));
    expect(error.message).toMatch(new RegExp(`- ${field} is .*, expected `));
    expect(error.message.split("\n").filter((line) => line.startsWith("  - "))).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "a name with a space, and missing ones",
      { clientId: "pc-client-id", clientSecret: "pc client secret" },
      [
        'secretNames.clientSecret is "pc client secret", expected a Key Vault secret name (1–127 letters, digits and hyphens)',
        "secretNames.tenantId is missing",
        "secretNames.refreshToken is missing",
      ],
    ],
    [
      "the refresh token under the client secret's name",
      { clientId: "pc-client-id", clientSecret: "pc-secret", tenantId: "pc-tenant-id", refreshToken: "pc-secret" },
      ['secretNames.clientSecret and secretNames.refreshToken are both "pc-secret", expected a distinct secret name for each (one would overwrite the other in the vault)'],
    ],
    [
      "names that differ only in letter case (Key Vault ignores case)",
      { clientId: "pc-id", clientSecret: "PC-ID", tenantId: "pc-Id", refreshToken: "pc-refresh-token" },
      ['secretNames.clientId and secretNames.clientSecret and secretNames.tenantId are all "pc-id", expected a distinct secret name for each (one would overwrite the other in the vault)'],
    ],
    ["a name longer than 127 characters", { ...(validStackOutputs().secretNames as object), tenantId: "t".repeat(128) }, [`secretNames.tenantId is "${"t".repeat(76)}..., expected a Key Vault secret name (1–127 letters, digits and hyphens)`]],
  ])("refuses secretNames with %s, naming each problem", async (_case, secretNames, expected) => {
    const error = await usageErrorFrom(() => parseStackOutputs({ ...validStackOutputs(), secretNames }));
    expect(error.message.split("\n").slice(1)).toEqual(expected.map((line) => `  - ${line}`));
  });

  it("says why a URL output is refused and never shows its password", async () => {
    const error = await usageErrorFrom(() =>
      parseStackOutputs({ ...validStackOutputs(), keyVaultUri: "https://deployer:S3cr3t-Pass@kv.vault.azure.net/", authorityHost: "https://login.microsoftonline.com/common", redirectUri: "http://localhost:0/" }),
    );
    expect(error.message).toContain('keyVaultUri is "https://***@kv.vault.azure.net/", expected an https URL such as https://kv-name.vault.azure.net/ (it contains a user name or password');
    expect(error.message).toContain('authorityHost is "https://login.microsoftonline.com/common", expected an https URL of the host only, such as https://login.microsoftonline.com (it has a path ("/common"); give the host only');
    expect(error.message).toContain("redirectUri is \"http://localhost:0/\", expected http://localhost[:port]/… or an https URL, without a query or fragment (port 0 is not a port");
    expect(error.message).not.toMatch(/S3cr3t|deployer/);
  });

  it("reports several problems together in one error", async () => {
    const raw: Record<string, unknown> = { ...validStackOutputs(), clientId: "nope", keyVaultUri: "http://vault" };
    delete raw.scopes;
    const error = await usageErrorFrom(() => parseStackOutputs(raw));
    const problems = error.message.split("\n").filter((line) => line.startsWith("  - "));
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/clientId is "nope".*\n.*keyVaultUri is "http:\/\/vault".*\n.*scopes is missing/);
  });

  it.each([null, [validStackOutputs()], "outputs", 42])("rejects %j because it is not a JSON object", async (raw) => {
    const error = await usageErrorFrom(() => parseStackOutputs(raw));
    expect(error.code).toBe("stack_outputs_invalid");
    expect(error.message).toBe("The stack outputs are not a JSON object.");
  });
});

describe("loadStackOutputs", () => {
  let dir: string;
  let savedPath: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-unit-outputs-"));
    savedPath = process.env.PATH;
  });

  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Puts an executable `pulumi` shell script in its own directory and makes PATH hold only that directory. */
  function fakePulumi(body: string): { argsFile: string } {
    const bin = path.join(dir, "bin");
    const argsFile = path.join(dir, "pulumi-args.txt");
    const script = path.join(bin, "pulumi");
    mkdirSync(bin, { recursive: true });
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$*" > '${argsFile}'\n${body}\n`);
    chmodSync(script, 0o755);
    process.env.PATH = bin;
    return { argsFile };
  }

  describe("with --outputs FILE", () => {
    it("reads and validates the saved outputs", async () => {
      const file = path.join(dir, "outputs.json");
      writeFileSync(file, JSON.stringify({ ...validStackOutputs(), authorityHost: "https://login.example.test/" }));
      const outputs = await loadStackOutputs({ outputsFile: file });
      expect(outputs.keyVaultUri).toBe(validStackOutputs().keyVaultUri);
      expect(outputs.authorityHost).toBe("https://login.example.test");
    });

    it("accepts a file that starts with a UTF-8 byte order mark (PowerShell, Windows editors)", async () => {
      const file = path.join(dir, "bom.json");
      writeFileSync(file, `\uFEFF${JSON.stringify(validStackOutputs())}`, "utf8");
      expect(readFileSync(file).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect((await loadStackOutputs({ outputsFile: file })).tenantId).toBe(validStackOutputs().tenantId);
    });

    it.each<[string, (json: string) => Buffer, string]>([
      ["UTF-16 with a little-endian byte order mark (PowerShell 5 `>`)", (json) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, "utf16le")]), "UTF-16 (little-endian)"],
      ["UTF-16 with a big-endian byte order mark", (json) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json, "utf16le").swap16()]), "UTF-16 (big-endian)"],
      ["UTF-16 without a byte order mark", (json) => Buffer.from(json, "utf16le"), "UTF-16 (little-endian)"],
    ])("refuses %s with an encoding message and the way to save it as UTF-8", async (_case, encode, encoding) => {
      const file = path.join(dir, "utf16.json");
      writeFileSync(file, encode(JSON.stringify(validStackOutputs())));
      const error = await usageErrorFrom(() => loadStackOutputs({ outputsFile: file }));
      expect(error.code).toBe("outputs_file_encoding");
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toBe(`The stack outputs file ${file} is encoded as ${encoding}; it must be UTF-8.`);
      expect(error.hint).toContain("Out-File -Encoding utf8");
    });

    it("fails with exit code 2 naming the file when it cannot be read", async () => {
      const file = path.join(dir, "absent.json");
      const error = await usageErrorFrom(() => loadStackOutputs({ outputsFile: file }));
      expect(error.code).toBe("outputs_file_unreadable");
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toContain(file);
      expect(error.message).toContain("does not exist");
    });

    it("fails naming the file when it is not valid JSON", async () => {
      const file = path.join(dir, "outputs.json");
      writeFileSync(file, "tenantId: 1111\n");
      const error = await usageErrorFrom(() => loadStackOutputs({ outputsFile: file }));
      expect(error.code).toBe("outputs_file_invalid");
      expect(error.message).toContain(file);
    });

    it("does not run the Pulumi CLI", async () => {
      const { argsFile } = fakePulumi("exit 1");
      const file = path.join(dir, "outputs.json");
      writeFileSync(file, JSON.stringify(validStackOutputs()));
      await loadStackOutputs({ outputsFile: file });
      expect(() => readFileSync(argsFile)).toThrow(/ENOENT/);
    });
  });

  describe("with the Pulumi CLI", () => {
    it("says the CLI is missing and points to --outputs when pulumi is not on PATH", async () => {
      process.env.PATH = dir;
      const error = await usageErrorFrom(() => loadStackOutputs({}));
      expect(error.code).toBe("pulumi_cli_missing");
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(`${error.message} ${error.hint}`).toContain("--outputs");
    });

    it("runs `pulumi stack output --json --show-secrets` and parses what it prints", async () => {
      const { argsFile } = fakePulumi(`printf '%s' '${JSON.stringify(validStackOutputs())}'`);
      const outputs = await loadStackOutputs({});
      expect(outputs.tenantId).toBe(validStackOutputs().tenantId);
      expect(readFileSync(argsFile, "utf8").trim()).toBe("stack output --json --show-secrets");
    });

    it("passes --stack when a stack is given", async () => {
      const { argsFile } = fakePulumi(`printf '%s' '${JSON.stringify(validStackOutputs())}'`);
      await loadStackOutputs({ stack: "dev" });
      expect(readFileSync(argsFile, "utf8").trim()).toBe("stack output --json --show-secrets --stack dev");
    });

    it("reports the CLI's failure with the end of its stderr and a hint naming the stack", async () => {
      fakePulumi(`echo "error: no stack named 'dev' found" >&2\nexit 255`);
      const error = await usageErrorFrom(() => loadStackOutputs({ stack: "dev" }));
      expect(error.code).toBe("pulumi_stack_output_failed");
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toContain("no stack named 'dev' found");
      expect(error.hint).toContain('stack "dev"');
    });

    it("reports output that is not JSON", async () => {
      fakePulumi("echo 'Current stack outputs (0):'");
      const error = await usageErrorFrom(() => loadStackOutputs({}));
      expect(error.code).toBe("pulumi_stack_output_invalid");
    });

    it("validates what the CLI printed like a saved file", async () => {
      fakePulumi(`printf '%s' '${JSON.stringify({ ...validStackOutputs(), tenantId: undefined })}'`);
      const error = await usageErrorFrom(() => loadStackOutputs({}));
      expect(error.code).toBe("stack_outputs_invalid");
      expect(error.message).toContain("tenantId is missing");
    });
  });
});
