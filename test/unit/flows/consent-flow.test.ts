/**
 * The consent flow (the library behind `partner-center-sam consent`) against
 * the Partner Center stand-in: what it posts, paging through every customer,
 * dry runs, existing consents, and refusing a single-tenant stack.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiClient } from "../../../bootstrap/src/partner-center/api-client";
import { MICROSOFT_GRAPH_APP_ID, runConsent, type ConsentOptions } from "../../../bootstrap/src/flows/consent-flow";
import { ExitCode, UsageError } from "../../../bootstrap/src/core/errors";
import { parseStackOutputs } from "../../../bootstrap/src/vault/stack-outputs";
import { createTokenProvider } from "../../../bootstrap/src/entra/token-provider";
import { seedRefreshToken } from "../../support/fixtures";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;
let api: ApiClient;

beforeEach(async () => {
  s = await startStandIns();
  seedRefreshToken(s);
  const provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
  api = new ApiClient({ partnerCenterEndpoint: s.partnerCenter.url, getToken: ({ scopes }) => provider.getAccessToken(scopes) });
});

afterEach(async () => {
  await s.stop();
});

function consent(options: Partial<ConsentOptions>) {
  return runConsent({ client: api, clientId: s.clientId, multiTenant: true, customerGraphScopes: ["User.Read.All", "Directory.Read.All"], ...options });
}

const posts = () => s.partnerCenter.calls.filter((c) => c.method === "POST");

describe("consent", () => {
  it("posts the app's client id and its Graph grants for each named customer", async () => {
    const [a, b] = [s.partnerCenter.addCustomer(), s.partnerCenter.addCustomer()];

    const results = await consent({ customers: [a!.id, b!.id] });

    expect(results).toEqual([
      { customer: a!.id, outcome: "consented" },
      { customer: b!.id, outcome: "consented" },
    ]);
    for (const customer of [a!, b!]) {
      expect(s.partnerCenter.applicationConsents(customer.id)).toEqual([
        { applicationId: s.clientId, applicationGrants: [{ enterpriseApplicationId: MICROSOFT_GRAPH_APP_ID, scope: "User.Read.All,Directory.Read.All" }] },
      ]);
      // What the consent does in the customer tenant: the app is there, with those Graph scopes.
      expect(s.entra.appConsentInTenant(customer.id, s.clientId)).toEqual(["https://graph.microsoft.com/User.Read.All", "https://graph.microsoft.com/Directory.Read.All"]);
    }
  });

  it("with all, consents every customer from every page of /v1/customers", async () => {
    for (let i = 0; i < 5; i++) s.partnerCenter.addCustomer();
    s.partnerCenter.customersPageSize = 2;

    const results = await consent({ all: true });

    expect(results.map((r) => r.customer)).toEqual(s.partnerCenter.customers.map((c) => c.id));
    expect(results.every((r) => r.outcome === "consented")).toBe(true);
    expect(s.partnerCenter.calls.filter((c) => c.path === "/v1/customers")).toHaveLength(3);
  });

  it("with all, honours the stack's customerInclude and customerExclude", async () => {
    for (let i = 0; i < 4; i++) s.partnerCenter.addCustomer();
    const ids = s.partnerCenter.customers.map((c) => c.id);

    const results = await consent({ all: true, include: [ids[0]!.toUpperCase(), ids[1]!, ids[2]!], exclude: [ids[1]!] });

    expect(results.map((r) => r.customer)).toEqual([ids[0], ids[2]]);
    expect(posts()).toHaveLength(2);
  });

  it("with a dry run, lists what it would do and posts nothing", async () => {
    for (let i = 0; i < 3; i++) s.partnerCenter.addCustomer();

    const results = await consent({ all: true, dryRun: true });

    expect(results.map((r) => r.outcome)).toEqual(["planned", "planned", "planned"]);
    expect(posts()).toEqual([]);
  });

  it("reports an existing consent as such and leaves it, unless asked to replace it", async () => {
    const customer = s.partnerCenter.addCustomer();
    await consent({ customers: [customer.id], customerGraphScopes: ["User.Read"] });

    const kept = await consent({ customers: [customer.id] });
    expect(kept).toEqual([{ customer: customer.id, outcome: "exists" }]);
    expect(s.partnerCenter.applicationConsents(customer.id)[0]!.applicationGrants[0]!.scope).toBe("User.Read");

    expect(s.entra.appConsentInTenant(customer.id, s.clientId)).toEqual(["https://graph.microsoft.com/User.Read"]);

    const replaced = await consent({ customers: [customer.id], replace: true });
    expect(replaced).toEqual([{ customer: customer.id, outcome: "replaced" }]);
    expect(s.partnerCenter.applicationConsents(customer.id)[0]!.applicationGrants[0]!.scope).toBe("User.Read.All,Directory.Read.All");
    expect(s.entra.appConsentInTenant(customer.id, s.clientId)).toHaveLength(2);
    expect(s.partnerCenter.calls.slice(-3).map((c) => [c.method, c.status])).toEqual([
      ["POST", 409],
      ["DELETE", 204],
      ["POST", 201],
    ]);
  });

  it("names a customer that failed, with the service's answer and ids, and carries on with the others", async () => {
    const known = s.partnerCenter.addCustomer();
    const unknown = "11111111-2222-3333-4444-555555555555";

    const results = await consent({ customers: [unknown, known.id] });

    expect(results[0]).toMatchObject({ customer: unknown, outcome: "failed", status: 404 });
    expect(results[0]!.message).toMatch(/^HTTP 404 \S+: Customer .* was not found\.$/);
    expect(results[0]!.requestId).toBe(posts()[0]!.requestId);
    expect(results[1]).toEqual({ customer: known.id, outcome: "consented" });
  });

  it.each([
    [false, /multiTenant is false/],
    [undefined, /no multiTenant/],
  ])("refuses with exit 2 when multiTenant is %s, before any call", async (multiTenant, message) => {
    const customer = s.partnerCenter.addCustomer();
    const error = (await consent({ customers: [customer.id], multiTenant }).catch((e: unknown) => e)) as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(ExitCode.Usage);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/pulumi up/);
    expect(s.partnerCenter.calls).toEqual([]);
  });

  it("refuses without customer scopes, without customers, and with both --all and --customer", async () => {
    const id = s.partnerCenter.addCustomer().id;
    await expect(consent({ customers: [id], customerGraphScopes: [] })).rejects.toThrow(/customerGraphScopes is empty/);
    await expect(consent({})).rejects.toThrow(/--customer ID/);
    await expect(consent({ all: true, customers: [id] })).rejects.toThrow(/alternatives/);
    await expect(consent({ customers: ["contoso.com"] })).rejects.toThrow(/GUID/);
    expect(s.partnerCenter.calls).toEqual([]);
  });
});

describe("the stack outputs consent reads", () => {
  it("are multiTenant and customerGraphScopes when the stack exports them, and absent for an older stack", () => {
    expect(parseStackOutputs({ ...s.outputs, multiTenant: true, customerGraphScopes: ["User.Read.All"] })).toMatchObject({ multiTenant: true, customerGraphScopes: ["User.Read.All"] });
    const { multiTenant: _m, customerGraphScopes: _c, ...olderOutputs } = s.outputs;
    const older = parseStackOutputs(olderOutputs);
    expect(older.multiTenant).toBeUndefined();
    expect(older.customerGraphScopes).toBeUndefined();
  });

  it("are refused when malformed", () => {
    expect(() => parseStackOutputs({ ...s.outputs, multiTenant: "yes", customerGraphScopes: ["User.Read", "https://x/y z"] })).toThrow(
      /multiTenant is "yes", expected true or false[\s\S]*customerGraphScopes is .*expected an array of Microsoft Graph scope names/,
    );
  });
});
