/**
 * The library's forEachCustomer with the real token provider against the
 * stand-ins: one token request per customer, nothing written to the vault for
 * customer work, results per customer, and a customer that cannot give a token
 * reported once while the others succeed.
 */
import { createTokenProvider, forEachCustomer, SamError } from "partner-center-sam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { seedRefreshToken } from "./support/fixtures";
import { startStandIns, type StandIns } from "./support/stand-ins";

let s: StandIns;

beforeEach(async () => {
  s = await startStandIns({
    customers: [...Array.from({ length: 12 }, () => ({ consented: true, gdap: true })), { domain: "unconsented.onmicrosoft.com", gdap: true }],
  });
  // Stored two days ago, so the partner's redemption writes its rotated token back (once a day) and the counts below show it.
  seedRefreshToken(s, { updatedOn: new Date(Date.now() - 2 * 86_400_000) });
});

afterEach(async () => {
  await s.stop();
});

const provider = () => createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
const redemptionsIn = (tenantId: string) => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token" && r.tenantId === tenantId);

describe("forEachCustomer", () => {
  it("makes one token request per customer and writes nothing to the vault for them", async () => {
    const results = [];
    for await (const r of forEachCustomer(provider(), async (ctx) => (await ctx.getToken(), await ctx.getToken(), ctx.customer.tenantId), {
      customers: s.customers.map((c) => c.tenantId),
      concurrency: 4,
    })) {
      results.push(r);
    }
    expect(results).toHaveLength(13);
    for (const c of s.customers) expect(redemptionsIn(c.tenantId)).toHaveLength(1);
    expect(s.vault.writeCount).toBe(0);
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.customer.tenantId)).toEqual([s.customers[12]!.tenantId]);
    expect((failed[0] as { error: SamError }).error.code).toBe("customer_consent_missing");
  });

  it("lists Partner Center's customers when none are named: one partner redemption, then one per customer", async () => {
    const seen: string[] = [];
    const gen = forEachCustomer(provider(), async (ctx) => ctx.getToken(), { concurrency: 8 });
    for await (const r of gen) seen.push(r.customer.tenantId);
    expect(seen.sort()).toEqual(s.customers.map((c) => c.tenantId).sort());
    expect(redemptionsIn(s.tenantId)).toHaveLength(1);
    // The partner's one redemption writes once; customer work never writes.
    expect(s.vault.writeCount).toBe(1);
  });
});
