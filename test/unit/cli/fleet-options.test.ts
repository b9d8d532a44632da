/**
 * `customers` and `call --customers` check all their options first: bad
 * customers, shards, files and counts are reported together (exit 2) before
 * anything runs, and good ones reach the run function as documented.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { callCommand, type CallCommandOptions } from "../../../bootstrap/src/cli/call";
import { customersCommand, tableLines, type CustomersCommandOptions } from "../../../bootstrap/src/cli/customers";
import { configureCommand, runProgram } from "../../../bootstrap/src/cli/run-command";
import { ExitCode } from "../../../bootstrap/src/core/errors";
import type { CustomerHealth } from "../../../bootstrap/src/fleet/health";

const TENANT = "11111111-2222-4333-8444-555555555555";

async function run<O>(factory: (runF: (options: O) => Promise<number>) => Command, args: string[]): Promise<{ code: number; options?: O; stderr: string }> {
  let received: O | undefined;
  const program = configureCommand(new Command("partner-center-sam"), "0.0.0-test");
  program.addCommand(configureCommand(factory(async (options) => ((received = options), ExitCode.Ok)), "0.0.0-test"));
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    const code = await runProgram(program, ["node", "partner-center-sam", ...args]);
    return { code, options: received, stderr };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

describe("customers options", () => {
  it("hands the selection, shard, concurrency and warn-days to the flow", async () => {
    const { code, options } = await run<CustomersCommandOptions>(customersCommand, [
      "customers", "--outputs", "o.json", "--customer", TENANT, "--customer", "contoso.onmicrosoft.com", "--exclude", "fabrikam.com", "--shard", "2/4", "--concurrency", "16", "--warn-days", "14", "--ndjson",
    ]);
    expect(code).toBe(0);
    expect(options).toMatchObject({ include: [TENANT, "contoso.onmicrosoft.com"], exclude: ["fabrikam.com"], shard: { index: 2, count: 4 }, concurrency: 16, warnDays: 14, format: "ndjson", timeoutMs: 900_000 });
  });

  it("defaults to every customer, concurrency 8, 30 warn days and the table", async () => {
    const { options } = await run<CustomersCommandOptions>(customersCommand, ["customers", "--outputs", "o.json"]);
    expect(options).toMatchObject({ include: undefined, exclude: undefined, shard: undefined, concurrency: 8, maxFailures: undefined, warnDays: 30, format: "table" });
  });

  it("reports every bad value at once with exit 2 and runs nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pcsam-cli-"));
    const garbage = path.join(dir, "list.txt");
    writeFileSync(garbage, "not a tenant\n");
    const { code, options, stderr } = await run<CustomersCommandOptions>(customersCommand, [
      "customers", "--outputs", "o.json", "--customer", "nope", "--exclude", "http://x", "--shard", "5/4", "--concurrency", "0", "--from-file", garbage, "--json", "--ndjson", "--warn-days", "-1",
    ]);
    expect(code).toBe(ExitCode.Usage);
    expect(options).toBeUndefined();
    for (const text of ["--customer must be a customer tenant id", "--exclude must be a customer tenant id", "--shard 5/4: I must be between 1 and N", "--concurrency must be a whole number from 1 to 64", `--from-file ${garbage}, line 1`, "--json and --ndjson are alternatives", "--warn-days must be a whole number"]) {
      expect(stderr).toContain(text);
    }
  });

  it("says a --from-file that does not exist cannot be read", async () => {
    const { code, stderr } = await run<CustomersCommandOptions>(customersCommand, ["customers", "--outputs", "o.json", "--from-file", "/nonexistent/list.txt"]);
    expect(code).toBe(ExitCode.Usage);
    expect(stderr).toContain("--from-file /nonexistent/list.txt: cannot read the file (it does not exist)");
  });
});

describe("call --customers options", () => {
  it("hands all, the shard, concurrency and max-failures to the fan-out, with the longer default timeout", async () => {
    const { code, options } = await run<CallCommandOptions>(callCommand, ["call", "--vault-uri", "https://kv-unit.vault.azure.net/", "--customers", "all", "--shard", "1/2", "--concurrency", "4", "--max-failures", "3", "--all", "https://graph.microsoft.com/v1.0/users"]);
    expect(code).toBe(0);
    expect(options).toMatchObject({ fanOut: true, customers: "all", shard: { index: 1, count: 2 }, concurrency: 4, maxFailures: 3, all: true, timeoutMs: 900_000 });
  });

  it("takes a comma-separated list of tenant ids and domains", async () => {
    const { options } = await run<CallCommandOptions>(callCommand, ["call", "--vault-uri", "https://kv-unit.vault.azure.net/", "--customers", `${TENANT}, contoso.onmicrosoft.com`, "/v1/customers"]);
    expect(options).toMatchObject({ customers: [TENANT, "contoso.onmicrosoft.com"] });
  });

  it("refuses a bad list, --tenant with --customers, and fleet options without --customers", async () => {
    const bad = await run<CallCommandOptions>(callCommand, ["call", "--vault-uri", "https://kv-unit.vault.azure.net/", "--customers", "x,,y", "--tenant", TENANT, "/v1/customers"]);
    expect(bad.code).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('--customers (item 1): expected a tenant id or domain, got "x"');
    expect(bad.stderr).toContain("--customers and --tenant are alternatives");
    const alone = await run<CallCommandOptions>(callCommand, ["call", "--vault-uri", "https://kv-unit.vault.azure.net/", "--shard", "1/2", "--concurrency", "3", "/v1/customers"]);
    expect(alone.code).toBe(ExitCode.Usage);
    expect(alone.stderr).toContain("--shard works with --customers only");
    expect(alone.stderr).toContain("--concurrency works with --customers only");
  });

  it("refuses an @FILE that does not exist", async () => {
    const { code, stderr } = await run<CallCommandOptions>(callCommand, ["call", "--vault-uri", "https://kv-unit.vault.azure.net/", "--customers", "@/nonexistent/list", "/v1/customers"]);
    expect(code).toBe(ExitCode.Usage);
    expect(stderr).toContain("--customers @FILE /nonexistent/list: cannot read the file (it does not exist)");
  });
});

describe("the customers table", () => {
  const health = (name: string, verdict: CustomerHealth["verdict"]): CustomerHealth => ({
    tenantId: TENANT, displayName: name, domain: null, inPartnerCenter: true, verdict, nextStep: verdict === "ok" ? null : `fix ${name}`, problems: [],
    gdap: { checked: true, relationships: [], missingRoles: [] }, consent: { state: "current", grantedScopes: [], missingScopes: [] }, access: { state: "ok", code: null, aadsts: null, correlationId: null, message: null },
  });

  it("lists broken customers first, then attention, then ok, with a summary line", () => {
    const lines = tableLines({ counts: { total: 3, ok: 1, attention: 1, broken: 1 }, checkedAt: "2026-12-06T04:00:00.000Z" }, [health("A", "ok"), health("B", "attention"), health("C", "broken")]);
    expect(lines[0]).toMatch(/^VERDICT\s+CUSTOMER\s+TENANT\s+GDAP\s+CONSENT\s+ACCESS\s+NEXT STEP$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s{2,}/)[1])).toEqual(["C", "B", "A"]);
    expect(lines[4]).toBe("3 customers: 1 ok, 1 attention, 1 broken (checked 2026-12-06T04:00:00.000Z).");
  });
});
