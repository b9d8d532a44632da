/**
 * The token provider in customer tenants (GDAP, App+User): the partner's stored
 * refresh token redeemed at `<authorityHost>/<customer>`, the customer's refresh
 * token never stored, cache and single flight per (tenant, scopes), and the two
 * failures a partner must fix in Partner Center (exit 3).
 */
import { createTokenProvider, SamError, type TokenProvider } from "partner-center-sam";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { seedRefreshToken, type SeededRefreshToken } from "./support/fixtures";
import { decodeJwt } from "../emulator/jwt";
import { startStandIns, type EmulatedCustomer, type StandIns } from "./support/stand-ins";

const GRAPH = "https://graph.microsoft.com/.default";
const TEN = Array.from({ length: 10 }, () => ({ consented: true, gdap: true }));

let s: StandIns;
let seeded: SeededRefreshToken;

beforeEach(async () => {
  s = await startStandIns({
    customers: [
      { domain: "fabrikam.onmicrosoft.com", consented: true, gdap: true },
      { domain: "unconsented.onmicrosoft.com", gdap: true },
      { domain: "no-gdap.onmicrosoft.com", consented: true },
      ...TEN,
      { domain: "partial.onmicrosoft.com", consented: ["User.Read"], gdap: true },
    ],
  });
  seeded = seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

function provider(): TokenProvider {
  return createTokenProvider({ writeBack: "always", keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
}

const customer = (i: number): EmulatedCustomer => s.customers[i]!;
const fabrikam = () => customer(0);
const redemptionsIn = (tenantId: string) => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token" && r.tenantId === tenantId);
const allRedemptions = () => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token");
const storedRefreshToken = () => s.vault.latest(s.outputs.secretNames.refreshToken)!.value;
const admin = () => s.users.admin.username;

describe("getToken and getAccessToken in a customer tenant", () => {
  it("redeem the partner's refresh token at the customer's authority: the token carries the customer's tid, and nothing is written to the vault", async () => {
    const token = await provider().getToken({ scopes: [GRAPH], tenantId: fabrikam().tenantId });

    expect(token).toMatchObject({ tokenType: "Bearer", tenantId: fabrikam().tenantId, scopes: expect.arrayContaining(["https://graph.microsoft.com/User.Read.All"]) });
    expect(token.expiresOn.getTime()).toBeGreaterThan(Date.now());
    const claims = s.entra.verifyAccessToken(token.accessToken, { audience: "https://graph.microsoft.com", tenantId: fabrikam().tenantId });
    expect(claims).toMatchObject({ tid: fabrikam().tenantId, idp: `https://sts.windows.net/${s.tenantId}/`, upn: admin() });
    expect(redemptionsIn(fabrikam().tenantId)).toEqual([expect.objectContaining({ status: 200, tenantPath: fabrikam().tenantId })]);
    expect(s.vault.writeCount).toBe(0);
    expect(storedRefreshToken()).toBe(seeded.token);
  });

  it("never stores a customer tenant's refresh token in place of the partner's: only partner redemptions write back", async () => {
    const p = provider();

    await p.getAccessToken();
    const afterPartner = storedRefreshToken();
    await p.getAccessToken({ scopes: [GRAPH], tenantId: fabrikam().tenantId });
    await p.getAccessToken({ scopes: [GRAPH], tenantId: customer(3).tenantId });
    await p.getAccessToken([GRAPH]);

    const customerTokens = [fabrikam(), customer(3)].map((c) => s.entra.newestRefreshToken(s.clientId, admin(), c.tenantId));
    expect(customerTokens.every((t) => typeof t === "string")).toBe(true);
    expect(s.vault.writes).toHaveLength(2);
    expect(s.vault.versions(s.outputs.secretNames.refreshToken).map((v) => v.value)).not.toEqual(expect.arrayContaining([customerTokens[0]]));
    expect(s.vault.versions(s.outputs.secretNames.refreshToken).map((v) => v.value)).not.toEqual(expect.arrayContaining([customerTokens[1]]));
    expect(storedRefreshToken()).not.toBe(afterPartner);
    expect(storedRefreshToken()).toBe(s.entra.newestRefreshToken(s.clientId, admin()));
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)!.tags).toMatchObject({ tenantId: s.tenantId, consentedBy: admin() });
  });

  it("shares one redemption among 50 concurrent cold calls for one customer tenant, then serves the cache", async () => {
    const p = provider();
    const tenantId = fabrikam().tenantId;

    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? p.getAccessToken({ scopes: [GRAPH], tenantId }) : p.getToken({ scopes: [GRAPH], tenantId }).then((t) => t.accessToken))));
    const warm = await p.getAccessToken({ scopes: [GRAPH], tenantId: tenantId.toUpperCase() });

    expect(new Set(tokens).size).toBe(1);
    expect(warm).toBe(tokens[0]);
    expect(allRedemptions()).toHaveLength(1);
    expect(s.vault.writeCount).toBe(0);
  });

  it("redeems for ten customer tenants concurrently, one token request each, with no partner write-back", async () => {
    const p = provider();
    const tenants = s.customers.slice(3, 3 + TEN.length).map((c) => c.tenantId);
    await p.getAccessToken({ scopes: [GRAPH], tenantId: tenants[0] }); // warm the vault credentials and Entra metadata for one of them
    p.clearCache();
    s.entra.tokenRequests.length = 0;
    const release = s.entra.holdTokenResponses();

    const pending = Promise.all(tenants.map((tenantId) => p.getToken({ scopes: [GRAPH], tenantId })));
    await vi.waitFor(() => expect(s.entra.heldTokenRequests).toBe(10), { timeout: 10_000, interval: 20 });
    release();
    const tokens = await pending;

    expect(tokens.map((t) => t.tenantId)).toEqual(tenants);
    expect(tokens.map((t) => decodeJwt(t.accessToken).payload.tid)).toEqual(tenants);
    for (const tenantId of tenants) expect(redemptionsIn(tenantId)).toHaveLength(1);
    expect(allRedemptions()).toHaveLength(10);
    expect(s.vault.writeCount).toBeLessThanOrEqual(1);
    expect(storedRefreshToken()).toBe(seeded.token);
  });

  it("redeems again with forceRefresh (as after a 401) instead of returning the cached token", async () => {
    const p = provider();
    const tenantId = fabrikam().tenantId;
    const first = await p.getAccessToken({ scopes: [GRAPH], tenantId });

    const fresh = await p.getAccessToken({ scopes: [GRAPH], tenantId, forceRefresh: true });

    expect(fresh).not.toBe(first);
    expect(redemptionsIn(tenantId)).toHaveLength(2);
    expect(await p.getAccessToken({ scopes: [GRAPH], tenantId })).toBe(fresh);
  });

  it("accepts a verified domain as the tenant: the request goes to that authority and the token is the customer's", async () => {
    const token = await provider().getToken({ scopes: [GRAPH], tenantId: "Fabrikam.onmicrosoft.com" });

    expect(token.tenantId).toBe(fabrikam().tenantId);
    expect(decodeJwt(token.accessToken).payload.tid).toBe(fabrikam().tenantId);
    expect(s.entra.tokenRequests.at(-1)).toMatchObject({ tenantId: fabrikam().tenantId, tenantPath: "fabrikam.onmicrosoft.com", status: 200 });
    expect(s.vault.writeCount).toBe(0);
  });

  it("treats the partner's own tenant id like no tenant: a partner redemption with its write-back", async () => {
    const token = await provider().getToken({ tenantId: s.tenantId.toUpperCase() });

    expect(token.tenantId).toBe(s.tenantId);
    expect(token.scopes).toEqual([s.outputs.scopes[0]]);
    expect(s.vault.writeCount).toBe(1);
    expect(storedRefreshToken()).toBe(s.entra.newestRefreshToken(s.clientId, admin()));
  });
});

describe("customer tenants that are not set up", () => {
  async function failure(promise: Promise<unknown>): Promise<SamError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SamError);
    const samError = error as SamError;
    for (const secret of [...s.entra.issuedSecrets(), s.clientCertificate!.privateKeyPem, seeded.token]) {
      expect(samError.message).not.toContain(secret);
      expect(samError.hint ?? "").not.toContain(secret);
    }
    return samError;
  }

  it("says to run `consent --customer` when the app is not in the tenant (AADSTS700016), exit 3, vault untouched", async () => {
    const tenant = customer(1).tenantId;

    const error = await failure(provider().getAccessToken({ scopes: [GRAPH], tenantId: tenant }));

    expect(error).toMatchObject({ code: "customer_consent_missing", exitCode: 3, aadsts: "700016" });
    expect(error.message).toContain(tenant);
    expect(error.hint).toContain(`partner-center-sam consent --customer ${tenant}`);
    expect(error.hint).toContain("multiTenant: true");
    expect(s.vault.writeCount).toBe(0);
    expect(storedRefreshToken()).toBe(seeded.token);
  });

  it("says to run `consent --customer` when the tenant's consent lacks the scope asked for (AADSTS65001)", async () => {
    const error = await failure(provider().getToken({ scopes: ["https://graph.microsoft.com/Directory.Read.All"], tenantId: "partial.onmicrosoft.com" }));

    expect(error).toMatchObject({ code: "customer_consent_missing", exitCode: 3, aadsts: "65001" });
    expect(error.hint).toContain("consent --customer partial.onmicrosoft.com");
  });

  it("refuses Partner Center's scope (the default) in a customer tenant before asking Entra ID, exit 2", async () => {
    const error = await failure(provider().getToken({ tenantId: fabrikam().domain }));

    expect(error).toMatchObject({ code: "partner_center_customer_tenant", exitCode: 2 });
    expect(redemptionsIn(fabrikam().tenantId)).toEqual([]);
  });

  it("says the GDAP relationship or security-group membership is missing when the user has no role there (AADSTS50020), exit 3", async () => {
    const tenant = customer(2).tenantId;

    const error = await failure(provider().getToken({ scopes: [GRAPH], tenantId: tenant }));

    expect(error).toMatchObject({ code: "gdap_access_missing", exitCode: 3, aadsts: "50020" });
    expect(error.message).toContain(tenant);
    expect(error.hint).toMatch(/GDAP relationship/);
    expect(error.hint).toMatch(/security group/);
    expect(error.hint).toMatch(/Partner Center/);
    expect(s.vault.writeCount).toBe(0);
  });

  it("works once the partner sets it up: a failed tenant is not cached, so consent and a GDAP role are picked up on the next call", async () => {
    const p = provider();
    const tenant = customer(1).tenantId;
    await expect(p.getAccessToken({ scopes: [GRAPH], tenantId: tenant })).rejects.toMatchObject({ code: "customer_consent_missing" });

    s.entra.consentAppInTenant(tenant, s.clientId, [GRAPH]);
    const token = await p.getAccessToken({ scopes: [GRAPH], tenantId: tenant });

    expect(decodeJwt(token).payload.tid).toBe(tenant);
  });

  it("does not let one tenant's failure touch another tenant's token or the partner's", async () => {
    const p = provider();

    const [bad, good, partner] = await Promise.allSettled([
      p.getAccessToken({ scopes: [GRAPH], tenantId: customer(2).tenantId }),
      p.getAccessToken({ scopes: [GRAPH], tenantId: fabrikam().tenantId }),
      p.getAccessToken(),
    ]);

    expect(bad).toMatchObject({ status: "rejected", reason: { code: "gdap_access_missing" } });
    expect(good.status).toBe("fulfilled");
    expect(partner.status).toBe("fulfilled");
    expect(s.vault.writeCount).toBe(1);
  });
});

describe("tenant arguments", () => {
  it.each([
    ["common", "common"],
    ["organizations", "organizations"],
    ["a URL", "https://login.microsoftonline.com/contoso.onmicrosoft.com"],
    ["a path", "../contoso.onmicrosoft.com"],
    ["an empty string", ""],
    ["a domain with a space", "contoso .com"],
    ["a number", 42],
    ["null", null],
  ])("rejects %s as tenantId with a TypeError, before any request", async (_label, tenantId) => {
    const p = provider();

    await expect(p.getToken({ tenantId: tenantId as string })).rejects.toThrow(TypeError);
    await expect(p.getAccessToken({ scopes: [GRAPH], tenantId: tenantId as string })).rejects.toThrow(/tenantId must be a customer's tenant id/);
    expect(s.entra.tokenRequests).toHaveLength(0);
    expect(s.vault.writeCount).toBe(0);
  });

  it("rejects arguments that are neither scopes nor a request, and bad scopes in a request", async () => {
    const p = provider();

    await expect(p.getAccessToken("https://graph.microsoft.com/.default" as unknown as string[])).rejects.toThrow(TypeError);
    await expect(p.getToken([GRAPH] as unknown as { scopes: string[] })).rejects.toThrow(TypeError);
    await expect(p.getToken({ scopes: [], tenantId: fabrikam().tenantId })).rejects.toThrow(/scopes must be a non-empty array/);
    expect(s.entra.tokenRequests).toHaveLength(0);
  });

  it("keeps getAccessToken(scopes) and getAccessToken() working for the partner's tenant", async () => {
    const p = provider();

    const partner = await p.getAccessToken();
    const same = await p.getAccessToken({});
    const graph = await p.getAccessToken([GRAPH]);

    expect(same).toBe(partner);
    expect(decodeJwt(partner).payload.tid).toBe(s.tenantId);
    expect(decodeJwt(graph).payload).toMatchObject({ tid: s.tenantId, aud: "https://graph.microsoft.com" });
    expect(allRedemptions()).toHaveLength(2);
  });
});
