/**
 * The one URL check, seen from `npm run refresh` and `npm run status`: every
 * URL flag, AZURE_AUTHORITY_HOST and the URLs in the stack outputs are refused
 * with exit 2 and a message that says what is wrong — before any request, and
 * without repeating a password — and every problem is reported at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScratchDirs, writeOutputsFile } from "../support/fixtures";
import { runCli, type CliName } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;

beforeAll(async () => {
  s = await startStandIns();
});

afterAll(async () => {
  await s?.stop();
  removeScratchDirs();
});

interface Case {
  name: string;
  args: (s: StandIns) => string[];
  env?: (s: StandIns) => Record<string, string>;
  /** Each must match the one message. */
  message: RegExp[];
  code?: string;
}

const CASES: Case[] = [
  { name: "--vault-uri over http", args: (s) => ["--vault-uri", s.vault.url.replace("https:", "http:")], message: [/--vault-uri must be an https URL .*it uses http; only https is accepted/] },
  { name: "--vault-uri with a path", args: (s) => ["--vault-uri", `${s.vault.url}secrets/x`], message: [/--vault-uri .*it has a path \("\/secrets\/x"\)/] },
  { name: "--vault-uri with a fragment", args: (s) => ["--vault-uri", `${s.vault.url}#x`], message: [/--vault-uri .*fragment/] },
  {
    name: "--vault-uri with a password",
    args: (s) => ["--vault-uri", s.vault.url.replace("https://", "https://ops:Hunter2-Vault@")],
    message: [/--vault-uri must be .*got "https:\/\/\*\*\*@/, /it contains a user name or password/],
  },
  {
    name: "AZURE_AUTHORITY_HOST with a tenant path",
    args: (s) => ["--vault-uri", s.vault.url],
    env: (s) => ({ AZURE_AUTHORITY_HOST: `${s.entra.url}/${s.tenantId}` }),
    message: [/AZURE_AUTHORITY_HOST \(environment\) must be an https URL of the host only/, /it has a path/],
  },
  { name: "AZURE_AUTHORITY_HOST over http", args: (s) => ["--vault-uri", s.vault.url], env: () => ({ AZURE_AUTHORITY_HOST: "http://login.microsoftonline.com" }), message: [/AZURE_AUTHORITY_HOST .*it uses http/] },
  { name: "an empty --stack", args: () => ["--stack", ""], message: [/--stack must name a Pulumi stack/] },
  {
    name: "stack outputs naming the same secret twice",
    args: (s) => ["--outputs", writeOutputsFile(s, { secretNames: { ...s.outputs.secretNames, clientSecret: s.outputs.secretNames.refreshToken } })],
    message: [/secretNames\.clientSecret and secretNames\.refreshToken are both/],
    code: "stack_outputs_invalid",
  },
  {
    name: "stack outputs with an authority host carrying a path",
    args: (s) => ["--outputs", writeOutputsFile(s, { authorityHost: `${s.entra.url}/common` })],
    message: [/authorityHost is .*it has a path \("\/common"\)/],
    code: "stack_outputs_invalid",
  },
];

describe.each<CliName>(["refresh", "status"])("npm run %s", (command) => {
  it.each(CASES)("exits 2 on $name, before any request", async ({ args, env, message, code }) => {
    const vaultRequests = s.vault.requests.length;
    const tokenRequests = s.entra.tokenRequests.length;
    const result = await runCli(command, [...args(s), "--json"], s.childEnv(env?.(s)));
    expect(result.code, result.stderr).toBe(2);
    const document = JSON.parse(result.stdout) as { ok: boolean; error: { code: string; message: string; hint?: string } };
    expect(document.ok).toBe(false);
    expect(document.error.code).toBe(code ?? "invalid_options");
    for (const pattern of message) expect(document.error.message).toMatch(pattern);
    expect(document.error.hint).toBeTruthy();
    expect(result.stderr).toContain(`✖ ${document.error.message.split("\n")[0]}`);
    expect(result.stderr + result.stdout).not.toMatch(/Hunter2|^\s+at /m);
    expect(s.vault.requests.length).toBe(vaultRequests);
    expect(s.entra.tokenRequests.length).toBe(tokenRequests);
  });

  it("reports every bad URL input in one message", async () => {
    const args = ["--vault-uri", "http://kv.example.test/"];
    if (command === "refresh") args.push("--authority-host", "https://login.example.test/common", "--partner-center-endpoint", "https://pc.example.test/?x=1");
    const result = await runCli(command, [...args, "--json"], s.childEnv({ AZURE_AUTHORITY_HOST: "ftp://login.example.test" }));
    expect(result.code).toBe(2);
    const problems = (JSON.parse(result.stdout) as { error: { message: string } }).error.message.split("\n").filter((line) => line.startsWith("  - "));
    expect(problems.map((line) => /^ {2}- (\S+)/.exec(line)?.[1])).toEqual(
      command === "refresh" ? ["--vault-uri", "--authority-host", "--partner-center-endpoint", "AZURE_AUTHORITY_HOST"] : ["--vault-uri", "AZURE_AUTHORITY_HOST"],
    );
  });

  it("prints an unknown option that carries terminal escape sequences without them", async () => {
    const result = await runCli(command, ["--\u001b]0;owned\u0007\u001b[2Jevil"], s.childEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("✖ unknown option '--evil'");
    // eslint-disable-next-line no-control-regex
    expect(result.stderr + result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
