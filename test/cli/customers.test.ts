/**
 * `partner-center-sam customers` and `call --customers` end to end: the built
 * command as a child process against the emulator's default estate (one
 * customer in each state) and its Microsoft Graph.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultEstate, generatedEstate } from "../../emulator/estate";
import { seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { runCli, startCli } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
let outputs: string;

beforeAll(async () => {
  s = await startStandIns({ customers: defaultEstate() });
  seedRefreshToken(s);
  outputs = writeOutputsFile(s);
});

afterAll(async () => {
  await s?.stop();
});

const tenantOf = (name: string) => s.customers.find((c) => c.displayName.startsWith(name))!.tenantId;
const redemptionsIn = (tenantId: string) => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token" && r.tenantId === tenantId).length;
type Health = { displayName: string; tenantId: string; verdict: string; nextStep: string | null; problems: string[]; access: { state: string }; consent: { state: string } };

describe("customers", () => {
  it("gives each customer of the default estate exactly the expected verdict and next step, and exits 3", async () => {
    const writesBefore = s.vault.writeCount;
    const result = await runCli("customers", ["--outputs", outputs, "--json"], s.childEnv());
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as { counts: Record<string, number>; customers: Health[]; checkedAt: string; gdapUnavailable: unknown };
    const verdicts = Object.fromEntries(doc.customers.map((c) => [c.displayName.split(" ")[0], c.verdict]));
    expect(verdicts).toEqual({ Fabrikam: "ok", Wingtip: "ok", Northwind: "attention", Tailspin: "attention", Adatum: "broken", Coho: "broken", Litware: "broken", Proseware: "broken", Woodgrove: "broken" });
    expect(doc.counts).toEqual({ total: 9, ok: 2, attention: 2, broken: 5 });
    expect(doc.gdapUnavailable).toBeNull();
    expect(doc.customers.map((c) => c.verdict)).toEqual(["broken", "broken", "broken", "broken", "broken", "attention", "attention", "ok", "ok"]);
    const step = (name: string) => doc.customers.find((c) => c.displayName.startsWith(name))!.nextStep;
    expect(step("Tailspin")).toContain(`partner-center-sam consent --customer ${tenantOf("Tailspin")} --replace`);
    expect(step("Litware")).toContain(`partner-center-sam consent --customer ${tenantOf("Litware")}\``);
    expect(step("Adatum")).toContain("cannot be restored");
    expect(step("Northwind")).toContain("without auto-extend");
    expect(step("Proseware")).toContain("in none of the security groups");
    expect(step("Woodgrove")).toContain("AADSTS53003");
    for (const c of doc.customers) for (const text of [c.nextStep ?? "", ...c.problems]) expect(text).not.toMatch(/(npm run|partner-center-sam) bootstrap|bootstrap again/);
    // One token request in each customer tenant and no vault write for them; the partner's own redemptions write
    // only once a day, and the stored token is fresh here.
    for (const c of s.customers) expect(redemptionsIn(c.tenantId)).toBe(1);
    expect(s.vault.writeCount - writesBefore).toBe(0);
  });

  it("prints one NDJSON line per customer with --ndjson", async () => {
    const result = await runCli("customers", ["--outputs", outputs, "--ndjson", "--exclude", "coho.onmicrosoft.com"], s.childEnv());
    expect(result.code).toBe(3);
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as Health);
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => l.tenantId)).not.toContain(tenantOf("Coho"));
  });

  it("prints a table sorted by verdict with a summary line, and exits 0 when the selection is healthy", async () => {
    const table = await runCli("customers", ["--outputs", outputs, "--customer", "fabrikam.onmicrosoft.com", "--customer", tenantOf("Wingtip")], s.childEnv());
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^VERDICT\s+CUSTOMER/);
    expect(lines.slice(1, 3).every((l) => l.startsWith("✔ ok"))).toBe(true);
    expect(lines[3]).toMatch(/^2 customers: 2 ok, 0 attention, 0 broken \(checked /);
  });

  it("tells a --notify target which customers need attention and what fixes each, and keeps the exit code", async () => {
    s.emulator.webhooks.splice(0);
    const result = await runCli("customers", ["--outputs", outputs, "--json", "--notify", s.emulator.webhookUrl("json")], s.childEnv());
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as { notifications: Array<{ ok: boolean }> };
    expect(doc.notifications).toEqual([expect.objectContaining({ ok: true })]);
    expect(s.emulator.webhooks).toHaveLength(1);
    const body = s.emulator.webhooks[0]!.body as { event: string; command: string; exitCode: number; summary: string; actions: string[] };
    expect(body).toMatchObject({ event: "attention", command: "customers", exitCode: 3, summary: "9 customers: 2 ok, 2 need attention, 5 broken." });
    expect(body.actions).toHaveLength(7);
    expect(body.actions.find((a) => a.startsWith("Tailspin"))).toContain(`partner-center-sam consent --customer ${tenantOf("Tailspin")} --replace`);
    expect(JSON.stringify(body)).not.toContain(s.emulator.webhookUrl("json"));
  });

  it("sends nothing for a healthy selection with the default --notify-on attention", async () => {
    s.emulator.webhooks.splice(0);
    const result = await runCli("customers", ["--outputs", outputs, "--customer", "fabrikam.onmicrosoft.com", "--notify", s.emulator.webhookUrl("json")], s.childEnv());
    expect(result.code).toBe(0);
    expect(s.emulator.webhooks).toHaveLength(0);
  });

  it("refuses a --customer the estate does not have (exit 2), naming it", async () => {
    const result = await runCli("customers", ["--outputs", outputs, "--customer", "nobody.onmicrosoft.com"], s.childEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Not a customer of this partner (neither in Partner Center's list nor in a GDAP relationship): nobody.onmicrosoft.com");
  });
});

describe("call --customers", () => {
  it("prints one NDJSON line per customer, exits 1 naming the failures, with one token request per customer and no vault write for them", async () => {
    const before = Object.fromEntries(s.customers.map((c) => [c.tenantId, redemptionsIn(c.tenantId)]));
    const writesBefore = s.vault.writeCount;
    const result = await runCli("call", ["--outputs", outputs, "--customers", "all", `${s.emulator.graphEndpoint}/v1.0/organization`], s.childEnv());
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as { tenantId: string; displayName: string; ok: boolean; status: number | null; body?: { value?: unknown[] }; error?: { code: string } });
    // Partner Center lists eight (Wingtip is GDAP only).
    expect(lines).toHaveLength(8);
    const ok = lines.filter((l) => l.ok).map((l) => l.displayName.split(" ")[0]).sort();
    expect(ok).toEqual(["Fabrikam", "Northwind"]);
    for (const l of lines.filter((x) => x.ok)) expect(l.status).toBe(200);
    const failed = lines.filter((l) => !l.ok);
    const codes = Object.fromEntries(failed.map((l) => [l.displayName.split(" ")[0], l.error!.code]));
    expect(codes).toEqual({
      Proseware: "gdap_access_missing",
      Coho: "gdap_access_missing",
      Adatum: "gdap_access_missing",
      Litware: "customer_consent_missing",
      Tailspin: "Authorization_RequestDenied",
      Woodgrove: "customer_conditional_access_blocked",
    });
    for (const l of failed) expect(JSON.stringify(l)).not.toMatch(/(npm run|partner-center-sam) bootstrap|bootstrap again/);
    expect(failed.find((l) => l.displayName.startsWith("Tailspin"))).toMatchObject({ status: 403, error: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(result.stderr).toContain("The call failed in 6 of 8 customer tenants");
    for (const l of lines) expect(redemptionsIn(l.tenantId) - before[l.tenantId]!).toBe(1);
    expect(s.vault.writeCount - writesBefore).toBe(0);
  });
});

describe("customers without DelegatedAdminRelationship.Read.All", () => {
  it("names the permission and the steps that add it, still reports consent and access, and exits 3", async () => {
    const narrow = await startStandIns({ customers: defaultEstate().slice(0, 5), partnerGraphScopes: ["User.Read"] });
    try {
      seedRefreshToken(narrow);
      const result = await runCli("customers", ["--outputs", writeOutputsFile(narrow), "--json"], narrow.childEnv());
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("lacks the delegated permission DelegatedAdminRelationship.Read.All");
      // Appended after the stack's own entries: index 0 would replace the first of them.
      expect(result.stderr).toContain("pulumi config set --path 'graphScopes[N]' DelegatedAdminRelationship.Read.All` with N their number (0 for none)");
      expect(result.stderr).toContain("`partner-center-sam bootstrap`");
      const doc = JSON.parse(result.stdout) as { gdapUnavailable: { reason: string }; customers: Health[] };
      expect(doc.gdapUnavailable.reason).toBe("permission");
      const byName = Object.fromEntries(doc.customers.map((c) => [c.displayName.split(" ")[0], c]));
      expect(byName.Litware!.consent.state).toBe("missing");
      expect(byName.Tailspin!.consent.state).toBe("stale");
      expect(byName.Fabrikam!.verdict).toBe("ok");
    } finally {
      await narrow.stop();
    }
  });
});

describe("call --customers with a Partner Center path", () => {
  it("is refused before any token request: Partner Center is called in the partner's own tenant", async () => {
    const before = s.entra.tokenRequests.length;
    const result = await runCli("call", ["--outputs", outputs, "--customers", "all", "/v1/customers"], s.childEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Partner Center is called in the partner's own tenant");
    expect(s.entra.tokenRequests.length).toBe(before);
  });
});

describe("Ctrl-C mid-sweep", () => {
  it("keeps the lines already printed, writes nothing more and exits 130", async () => {
    const big = await startStandIns({ customers: generatedEstate(400) });
    try {
      seedRefreshToken(big);
      const cli = startCli("customers", ["--outputs", writeOutputsFile(big), "--ndjson", "--concurrency", "1"], big.childEnv());
      let stdout = "";
      await new Promise<void>((resolve) => {
        cli.child.stdout!.on("data", (chunk: Buffer) => {
          stdout += String(chunk);
          if (stdout.split("\n").length > 3) resolve();
        });
      });
      const writes = big.vault.writeCount;
      cli.child.kill("SIGINT");
      const result = await cli.done;
      expect(result.code).toBe(130);
      const lines = result.stdout.trim().split("\n");
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.length).toBeLessThan(400);
      for (const line of lines) expect(JSON.parse(line)).toMatchObject({ verdict: "ok" });
      expect(big.vault.writeCount).toBe(writes);
    } finally {
      await big.stop();
    }
  });
});
