/**
 * Customer-tenant answers through the built commands: a customer's policy exits 3 with its own message and no
 * "run the bootstrap"; Partner Center's "Permission entry already exists" is an existing consent whatever its
 * status; `--graph-endpoint` (or the stack's graphEndpoint) decides the `graph` alias and `call`'s host rule.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { decodeJwt } from "../../emulator/jwt";
import { expectNoSecretPrinted } from "../support/cli-expect";
import { removeScratchDirs, seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import { runCli } from "../support/run-cli";
import { startStandIns, type StandIns, type StartStandInsOptions } from "../support/stand-ins";

const allStandIns: StandIns[] = [];
let current: StandIns | undefined;

async function standIns(options: StartStandInsOptions = {}): Promise<StandIns> {
  current = await startStandIns(options);
  allStandIns.push(current);
  seedRefreshToken(current);
  return current;
}

afterEach(async () => {
  await current?.stop();
  current = undefined;
});

afterAll(() => {
  expectNoSecretPrinted(allStandIns);
  removeScratchDirs();
});

const CUSTOMER_OUTPUTS = { multiTenant: true, customerGraphScopes: ["User.Read.All", "Directory.Read.All"] };

describe("customer-tenant answers of the commands", () => {
  it.each([
    [53003, /customer's Conditional Access blocked the partner user's token in the customer tenant blocked\.onmicrosoft\.com/],
    [50177, /does not let service-provider users in/],
    [50076, /requires multi-factor authentication/],
  ])("token --tenant exits 3 when the customer's policy answers AADSTS%s, and never says to run the bootstrap", async (code, message) => {
    const s = await standIns({ customers: [{ domain: "blocked.onmicrosoft.com", consented: true, gdap: true, conditionalAccess: code }] });
    const result = await runCli("token", [...vaultUriArgs(s), "--tenant", "blocked.onmicrosoft.com", "--scope", "graph"], s.childEnv());
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain("Next:");
    expect(result.stderr).not.toMatch(/run[^.\n]*bootstrap/i);
  });

  it("token --tenant with an unknown tenant exits 2 with tenant_not_found's message", async () => {
    const s = await standIns({ customers: [{ consented: true, gdap: true }] });
    const result = await runCli("token", [...vaultUriArgs(s), "--tenant", "nobody.onmicrosoft.com", "--scope", "graph"], s.childEnv());
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/Entra ID does not know the tenant nobody\.onmicrosoft\.com \(invalid_tenant, AADSTS90002\)/);
    expect(result.stderr).not.toMatch(/endpoints_resolution_error|Endpoints cannot be resolved/i);
  });

  it("consent recognises an existing consent answered with 400 and 'Permission entry already exists.', and --replace replaces it", async () => {
    const s = await standIns({ multiTenant: true });
    s.partnerCenter.existingConsentStatus = 400;
    const customer = s.partnerCenter.addCustomer();
    const consent = (args: string[], outputs: Record<string, unknown> = CUSTOMER_OUTPUTS) => runCli("consent", [...args, "--outputs", writeOutputsFile(s, outputs)], s.childEnv());
    expect((await consent(["--customer", customer.id], { ...CUSTOMER_OUTPUTS, customerGraphScopes: ["User.Read"] })).code).toBe(0);

    const kept = await consent(["--customer", customer.id]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain(`${customer.id}: already consented (kept; pass --replace to replace it)`);
    expect(s.partnerCenter.calls.filter((c) => c.method === "POST").at(-1)?.status).toBe(400);

    const replaced = await consent(["--customer", customer.id, "--replace"]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain(`✔ ${customer.id}: existing consent replaced`);
    expect(s.partnerCenter.applicationConsents(customer.id)[0]!.applicationGrants[0]!.scope).toBe("User.Read.All,Directory.Read.All");
  });

  it("call sends a URL on the stack's graphEndpoint a Graph token without --scope, and prints Graph's ids when it fails", async () => {
    const s = await standIns({ customers: [{ domain: "fabrikam.onmicrosoft.com", consented: true, gdap: true }] });
    const graph = s.emulator.graphEndpoint;
    const outputs = writeOutputsFile(s);
    const ok = await runCli("call", [`${graph}/v1.0/organization`, "--tenant", "fabrikam.onmicrosoft.com", "--outputs", outputs], s.childEnv());
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ value: [{ id: s.customers[0]!.tenantId }] });

    const failed = await runCli("call", [`${graph}/v1.0/nonsense`, "--outputs", outputs], s.childEnv());
    expect(failed.code).toBe(1);
    const graphCall = s.emulator.graph.calls.at(-1)!;
    expect(failed.stderr).toContain("Resource not found for the segment 'nonsense'.");
    expect(failed.stderr).toContain(`Graph request-id ${graphCall.requestId}, client-request-id ${graphCall.clientRequestId}`);
  });

  it("--graph-endpoint overrides the stack's for the graph alias, and a bad one exits 2 before any request", async () => {
    const s = await standIns();
    const token = await runCli("token", [...vaultUriArgs(s), "--scope", "graph", "--graph-endpoint", s.emulator.graphEndpoint], s.childEnv());
    expect(token.code, token.stderr).toBe(0);
    expect(s.entra.tokenRequests.at(-1)?.scope).toContain(`${s.emulator.graphEndpoint}/.default`);
    expect(decodeJwt(token.stdout.trim()).payload.aud).toBe("https://graph.microsoft.com");

    const requests = s.entra.tokenRequests.length;
    const bad = await runCli("call", [...vaultUriArgs(s), "/v1/customers", "--graph-endpoint", "http://graph.microsoft.com/v1.0"], s.childEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--graph-endpoint/);
    expect(s.entra.tokenRequests.length).toBe(requests);
  });
});
