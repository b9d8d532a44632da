/**
 * The customer estate: what each customer's state makes Entra ID, Partner Center and Graph answer — GDAP access
 * that follows the relationship and the group, consent present / stale / absent, Conditional Access codes with
 * Entra's texts, customers missing from either list — and the default estate the `emulator` command serves.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CUSTOMER_GRAPH_SCOPES, defaultEstate, generatedEstate } from "../../emulator";
import { decodeJwt } from "../../emulator/jwt";
import { closeAll, redeem, start } from "./graph-support";

afterEach(closeAll);

/** The AADSTS code of a failed redemption, or 0 with the token's scp. */
async function customerAnswer(emu: Awaited<ReturnType<typeof start>>, tenant: string): Promise<{ code: number; scp?: string; description?: string; error?: string }> {
  const answer = await redeem(emu, "https://graph.microsoft.com/.default", tenant);
  if (answer.status === 200) return { code: 0, scp: String(decodeJwt(answer.body.access_token as string).payload.scp) };
  return { code: (answer.body.error_codes as number[])[0]!, description: String(answer.body.error_description), error: String(answer.body.error) };
}

describe("the emulator's customer estate", () => {
  it("gives each customer of the default estate the token answer its state calls for", async () => {
    const emu = await start({ customers: defaultEstate() });
    expect(emu.outputs.customerGraphScopes).toEqual(DEFAULT_CUSTOMER_GRAPH_SCOPES);
    const answers: Record<string, number> = {};
    for (const c of emu.customers) answers[c.displayName] = (await customerAnswer(emu, c.tenantId)).code;
    expect(answers).toEqual({
      "Fabrikam (healthy)": 0,
      "Northwind (GDAP ends in 10 days)": 0,
      // An expired relationship grants nothing: the partner user does not exist there for Entra.
      "Adatum (GDAP expired)": 50020,
      "Tailspin (consent stale)": 0,
      "Litware (no consent)": 700016,
      "Woodgrove (Conditional Access blocks)": 53003,
      "Proseware (user not in the group)": 50020,
      "Wingtip (GDAP only)": 0,
      "Coho (no GDAP relationship)": 50020,
    });
    // Stale consent: the token carries only the scopes consented, fewer than the stack's customerGraphScopes.
    expect((await customerAnswer(emu, emu.customers[3].tenantId)).scp).toBe("User.Read.All");
    expect((await customerAnswer(emu, emu.customers[0].tenantId)).scp?.split(" ")).toEqual(expect.arrayContaining(DEFAULT_CUSTOMER_GRAPH_SCOPES));
  });

  it("lists in Partner Center only the customers that are there, and in GDAP only those with a relationship", async () => {
    const emu = await start({ customers: defaultEstate() });
    const listed = emu.partnerCenter.customers.map((c) => c.companyName);
    expect(listed).not.toContain("Wingtip (GDAP only)");
    expect(listed).toContain("Coho (no GDAP relationship)");
    expect(listed).toHaveLength(8);
    const inGdap = emu.graph.relationshipsOf(emu.tenantId).map((r) => r.customer.displayName);
    expect(inGdap).toContain("Wingtip (GDAP only)");
    expect(inGdap).not.toContain("Coho (no GDAP relationship)");
    expect(emu.customers.map((c) => c.displayName)).toEqual(defaultEstate().map((c) => c.displayName));
  });

  it.each([
    [53003, "invalid_grant", /^AADSTS53003: Access has been blocked by Conditional Access policies\./],
    [50177, "invalid_grant", /^AADSTS50177: User account 'admin@contoso\.example' from identity provider 'https:\/\/sts\.windows\.net\/[0-9a-f-]+\/' does not exist in tenant 'Blocked' and cannot access the application/],
    [50178, "invalid_grant", /^AADSTS50178: User account 'admin@contoso\.example'/],
    [90072, "invalid_grant", /^AADSTS90072: User account 'admin@contoso\.example'/],
    [50076, "invalid_grant", /^AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access 'https:\/\/graph\.microsoft\.com'/],
    [50079, "invalid_grant", /^AADSTS50079: .*you must enroll in multi-factor authentication/],
    [50078, "invalid_grant", /^AADSTS50078: Presented multi-factor authentication has expired/],
    [500213, "invalid_grant", /^AADSTS500213: The resource tenant's cross-tenant access policy does not allow this user to access this tenant\./],
    [530034, "invalid_grant", /^AADSTS530034: /],
  ])("answers partner users in a customer whose policy blocks them with AADSTS%s", async (code, error, text) => {
    const emu = await start({ customers: [{ displayName: "Blocked", consented: true, gdap: true, conditionalAccess: code }, { consented: true, gdap: true }] });
    const answer = await customerAnswer(emu, emu.customers[0].tenantId);
    expect(answer).toMatchObject({ code, error });
    expect(answer.description).toMatch(text);
    // Only that customer: the partner's own tenant and the other customer answer.
    expect((await customerAnswer(emu, emu.customers[1].tenantId)).code).toBe(0);
    expect((await customerAnswer(emu, emu.tenantId)).code).toBe(0);
  });

  it("grants access only while the relationship is active and unexpired, and names no relationship for gdap false", async () => {
    const emu = await start({
      customers: [
        { consented: true, gdap: { status: "terminated" } },
        { consented: true, gdap: { status: "active", endsInDays: -1 } },
        { consented: true, gdap: { status: "expiring", endsInDays: 3 } },
        { consented: true, gdap: false },
      ],
    });
    const codes = [];
    for (const c of emu.customers) codes.push((await customerAnswer(emu, c.tenantId)).code);
    expect(codes).toEqual([50020, 50020, 0, 50020]);
    expect(emu.graph.relationshipsOf(emu.tenantId).map((r) => r.status)).toEqual(["terminated", "active", "expiring"]);
  });

  it("keeps today's customer options working: consented and gdap booleans, no customers by default", async () => {
    const plain = await start();
    expect([plain.customers, plain.outputs.customerGraphScopes, plain.outputs.multiTenant]).toEqual([[], [], false]);
    expect(plain.outputs.graphEndpoint).toBe(plain.graphEndpoint);
    const emu = await start({ customers: [{ consented: true, gdap: true }, {}], customerGraphScopes: ["User.Read.All"] });
    expect(emu.outputs.customerGraphScopes).toEqual(["User.Read.All"]);
    expect((await customerAnswer(emu, emu.customers[0].tenantId)).code).toBe(0);
    expect((await customerAnswer(emu, emu.customers[1].tenantId)).code).toBe(700016);
  });

  it("pages Partner Center's customer list with links.next and MS-ContinuationToken over a generated estate", async () => {
    const emu = await start({ customers: generatedEstate(45), bootstrapped: false });
    const token = (await redeem(emu, emu.outputs.scopes[0])).body.access_token as string;
    const seen: string[] = [];
    let request: { path: string; headers: Record<string, string> } | undefined = { path: "/v1/customers?size=20", headers: {} };
    let pages = 0;
    while (request) {
      const response = await fetch(`${emu.partnerCenterEndpoint}${request.path}`, { headers: { authorization: `Bearer ${token}`, ...request.headers } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { items: Array<{ id: string }>; links: { next?: { uri: string; headers: Array<{ key: string; value: string }> } } };
      seen.push(...body.items.map((i) => i.id));
      pages++;
      const next = body.links.next;
      request = next && { path: `/v1${next.uri}`, headers: Object.fromEntries(next.headers.map((h) => [h.key, h.value])) };
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(emu.customers.map((c) => c.tenantId));
  });
});
