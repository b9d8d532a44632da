/**
 * `partner-center-sam consent` end to end: the built command as a child process
 * against the stand-ins, with a multi-tenant app and customers at Partner Center.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoSecretPrinted } from "../support/cli-expect";
import { testTls } from "../support/global-setup";
import { LoopbackServer, sendJson } from "../../emulator/http";
import { decodeJwt } from "../../emulator/jwt";
import { consentCommand } from "../../bootstrap/src/cli/consent";
import { documentedFlags, removeScratchDirs, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { runCli, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

let s: StandIns;
const allStandIns: StandIns[] = [];

beforeEach(async () => {
  s = await startStandIns({ multiTenant: true });
  allStandIns.push(s);
  seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

afterAll(() => {
  expectNoSecretPrinted(allStandIns);
  removeScratchDirs();
});

const CUSTOMER_OUTPUTS = { multiTenant: true, customerGraphScopes: ["User.Read.All", "Directory.Read.All"] };

function consent(args: string[], outputs: Record<string, unknown> = CUSTOMER_OUTPUTS): Promise<CliResult> {
  return runCli("consent", [...args, "--outputs", writeOutputsFile(s, outputs)], s.childEnv());
}

const posts = () => s.partnerCenter.calls.filter((c) => c.method === "POST");

describe("partner-center-sam consent", () => {
  it("consents the app in each --customer with the stack's customerGraphScopes, one line per customer", async () => {
    const [a, b] = [s.partnerCenter.addCustomer(), s.partnerCenter.addCustomer()];

    const result = await consent(["--customer", a!.id, "--customer", b!.id]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`✔ ${a!.id}: consented`);
    expect(result.stderr).toContain(`✔ ${b!.id}: consented`);
    expect(result.stdout).toMatch(/Consent done for 2 customers: 2 consented/);
    for (const customer of [a!, b!]) {
      expect(s.partnerCenter.applicationConsents(customer.id)).toEqual([
        { applicationId: s.clientId, applicationGrants: [{ enterpriseApplicationId: "00000003-0000-0000-c000-000000000000", scope: "User.Read.All,Directory.Read.All" }] },
      ]);
    }
  });

  it("with --all and --json, consents every customer over three pages and prints one result per customer", async () => {
    for (let i = 0; i < 5; i++) s.partnerCenter.addCustomer();
    s.partnerCenter.customersPageSize = 2;

    const result = await consent(["--all", "--json"]);

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(s.partnerCenter.customers.map((c) => ({ customer: c.id, outcome: "consented" })));
    expect(s.partnerCenter.calls.filter((c) => c.path === "/v1/customers")).toHaveLength(3);
  });

  it("with --dry-run, says what it would do and posts nothing", async () => {
    for (let i = 0; i < 3; i++) s.partnerCenter.addCustomer();

    const result = await consent(["--all", "--dry-run"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/would consent \(dry run\)/g)).toHaveLength(3);
    expect(result.stdout).toMatch(/nothing was changed/);
    expect(posts()).toEqual([]);
  });

  it("reports an existing consent and keeps it; --replace replaces it", async () => {
    const customer = s.partnerCenter.addCustomer();
    expect((await consent(["--customer", customer.id], { ...CUSTOMER_OUTPUTS, customerGraphScopes: ["User.Read"] })).code).toBe(0);

    const kept = await consent(["--customer", customer.id]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain(`${customer.id}: already consented (kept; pass --replace to replace it)`);
    expect(s.partnerCenter.applicationConsents(customer.id)[0]!.applicationGrants[0]!.scope).toBe("User.Read");

    const replaced = await consent(["--customer", customer.id, "--replace"]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain(`✔ ${customer.id}: existing consent replaced`);
    expect(s.partnerCenter.applicationConsents(customer.id)[0]!.applicationGrants[0]!.scope).toBe("User.Read.All,Directory.Read.All");
  });

  it("exits 1 naming the customers that failed, after trying the others", async () => {
    const known = s.partnerCenter.addCustomer();
    const unknown = "11111111-2222-3333-4444-555555555555";

    const result = await consent(["--customer", unknown, "--customer", known.id]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`✖ ${unknown}: FAILED, HTTP 404 .*request id [0-9a-f-]{36}, correlation id [0-9a-f-]{36}`));
    expect(result.stdout).toContain(`Consent failed for 1 of 2 customers: ${unknown}.`);
    expect(s.partnerCenter.applicationConsents(known.id)).toHaveLength(1);
  });

  it("makes customer-tenant tokens work: before consent the customer tenant does not know the app, after it the token carries the customer's tid", async () => {
    const customer = s.partnerCenter.addCustomer();
    s.entra.grantGdapRole(customer.id, s.users.admin.username);
    const token = () => runCli("token", ["--tenant", customer.id, "--scope", "graph", "--outputs", writeOutputsFile(s, CUSTOMER_OUTPUTS)], s.childEnv());

    const before = await token();
    expect(before.code).toBe(3);
    expect(before.stdout).toBe("");
    expect(before.stderr).toMatch(/consent/i);

    expect((await consent(["--customer", customer.id])).code).toBe(0);

    const after = await token();
    expect(after.code, after.stderr).toBe(0);
    const claims = decodeJwt(after.stdout.trim()).payload;
    expect(claims.tid).toBe(customer.id);
    expect(claims.aud).toBe("https://graph.microsoft.com");
  });

  it("after consent, call --tenant sends a customer-tenant token", async () => {
    const customer = s.partnerCenter.addCustomer();
    s.entra.grantGdapRole(customer.id, s.users.admin.username);
    expect((await consent(["--customer", customer.id])).code).toBe(0);
    const seen: Array<string | undefined> = [];
    const graph = new LoopbackServer((req, res) => {
      seen.push(req.headers.authorization);
      sendJson(res, 200, { value: [] });
    }, testTls());
    await graph.start();
    try {
      const result = await runCli("call", [`https://localhost:${graph.port}/v1.0/users`, "--tenant", customer.id, "--scope", "graph", "--outputs", writeOutputsFile(s, CUSTOMER_OUTPUTS)], s.childEnv());
      expect(result.code, result.stderr).toBe(0);
      expect(decodeJwt((seen[0] ?? "").replace(/^Bearer /, "")).payload.tid).toBe(customer.id);
    } finally {
      await graph.stop();
    }
  });

  it.each([
    ["multiTenant is false", { ...CUSTOMER_OUTPUTS, multiTenant: false }, /multiTenant is false/],
    // An older stack, from before multiTenant existed: its outputs lack the key.
    ["the stack has no multiTenant output", { multiTenant: undefined, customerGraphScopes: undefined }, /no multiTenant/],
  ])("refuses with exit 2 when %s, before any call", async (_case, outputs, message) => {
    const customer = s.partnerCenter.addCustomer();

    const result = await consent(["--customer", customer.id], outputs);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/pulumi up/);
    expect(s.partnerCenter.calls).toEqual([]);
  });

  it("documents every option in the README, and no other", () => {
    expect(documentedFlags("npm run consent").sort()).toEqual(consentCommand().options.map((o) => o.long).sort());
  });
});
