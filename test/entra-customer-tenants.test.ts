/**
 * The Entra ID stand-in's customer tenants (GDAP): an app is unknown to a
 * customer tenant until it is consented there, a partner user gets tokens there
 * only with a GDAP role, and customer tokens carry the customer's `tid`.
 * Raw token requests, so the answers are checked as the wire carries them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeJwt } from "../emulator/jwt";
import { startStandIns, type StandIns } from "./support/stand-ins";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

let s: StandIns;

beforeEach(async () => {
  s = await startStandIns({ appCredential: "secret", customers: [{ domain: "fabrikam.onmicrosoft.com", displayName: "Fabrikam" }, { consented: true }, { consented: true, gdap: true }] });
});

afterEach(async () => {
  await s.stop();
});

interface TokenResult {
  status: number;
  body: Record<string, unknown>;
}

function partnerRefreshToken(): string {
  return s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: s.users.admin.username, scopes: s.outputs.scopes });
}

async function redeemAt(tenant: string, refreshToken: string, scope = `${GRAPH_DEFAULT} openid profile offline_access`): Promise<TokenResult> {
  const res = await fetch(`${s.entra.url}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: s.clientId, client_secret: s.clientSecret!, refresh_token: refreshToken, scope }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function expectAadsts(result: TokenResult, error: string, code: number): void {
  expect(result.status).toBe(400);
  expect(result.body).toMatchObject({ error, error_codes: [code] });
  expect(String(result.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: `));
}

describe("Entra stand-in: customer tenants", () => {
  it("does not know the app in a customer tenant it was not consented into (AADSTS700016)", async () => {
    const [fabrikam] = s.customers;

    const result = await redeemAt(fabrikam!.tenantId, partnerRefreshToken());

    expectAadsts(result, "unauthorized_client", 700016);
    expect(String(result.body.error_description)).toContain(`was not found in the directory '${fabrikam!.tenantId}'`);
  });

  it("refuses a partner user without a GDAP role in a consented tenant (AADSTS50020)", async () => {
    const consentedOnly = s.customers[1]!;

    const result = await redeemAt(consentedOnly.tenantId, partnerRefreshToken());

    expectAadsts(result, "invalid_grant", 50020);
    expect(String(result.body.error_description)).toContain(`User account '${s.users.admin.username}' from identity provider 'https://sts.windows.net/${s.tenantId}/' does not exist in tenant`);
  });

  it("issues a customer token (tid = the customer, idp = the partner) once consent and a GDAP role exist, by id or by domain", async () => {
    const fabrikam = s.customers[0]!;
    s.entra.consentAppInTenant(fabrikam.domain, s.clientId, ["User.Read"]);
    s.entra.grantGdapRole(fabrikam.tenantId, s.users.admin.username);

    const byDomain = await redeemAt("fabrikam.onmicrosoft.com", partnerRefreshToken(), "https://graph.microsoft.com/User.Read offline_access");

    expect(byDomain.status).toBe(200);
    const claims = s.entra.verifyAccessToken(String(byDomain.body.access_token), { audience: "https://graph.microsoft.com", tenantId: fabrikam.tenantId });
    expect(claims).toMatchObject({ tid: fabrikam.tenantId, iss: `https://sts.windows.net/${fabrikam.tenantId}/`, idp: `https://sts.windows.net/${s.tenantId}/`, upn: s.users.admin.username });
    expect(s.entra.tokenRequests.at(-1)).toMatchObject({ tenantId: fabrikam.tenantId, tenantPath: "fabrikam.onmicrosoft.com", status: 200 });
    expect(s.entra.newestRefreshToken(s.clientId, s.users.admin.username, fabrikam.domain)).toBe(byDomain.body.refresh_token);
    expect(s.entra.appConsentInTenant(fabrikam.tenantId, s.clientId)).toEqual(["https://graph.microsoft.com/User.Read"]);
  });

  it("grants in a customer tenant only what was consented there (AADSTS65001 for Partner Center), and a customer redemption is not the partner's newest token", async () => {
    const customer = s.customers[2]!;
    const partner = partnerRefreshToken();

    const graph = await redeemAt(customer.tenantId, partner);
    const partnerCenter = await redeemAt(customer.tenantId, partner, `${s.outputs.scopes[0]} offline_access`);

    expect(graph.status).toBe(200);
    expect(decodeJwt(String(graph.body.access_token)).payload.tid).toBe(customer.tenantId);
    expectAadsts(partnerCenter, "invalid_grant", 65001);
    expect(partnerCenter.body.suberror).toBe("consent_required");
    expect(s.entra.newestRefreshToken(s.clientId, s.users.admin.username)).toBe(partner);
    expect(s.entra.newestRefreshToken(s.clientId, s.users.admin.username, customer.tenantId)).toBe(graph.body.refresh_token);
  });

  it("refuses a single-tenant app in a customer tenant even where it was consented, and forgets a revoked consent or GDAP role", async () => {
    const customer = s.customers[2]!;
    s.entra.setMultiTenant(s.clientId, false);
    expectAadsts(await redeemAt(customer.tenantId, partnerRefreshToken()), "unauthorized_client", 700016);

    s.entra.setMultiTenant(s.clientId, true);
    expect((await redeemAt(customer.tenantId, partnerRefreshToken())).status).toBe(200);
    expect(s.entra.revokeGdapRole(customer.tenantId, s.users.admin.username)).toBe(true);
    expectAadsts(await redeemAt(customer.tenantId, partnerRefreshToken()), "invalid_grant", 50020);
    expect(s.entra.revokeAppConsentInTenant(customer.tenantId, s.clientId)).toBe(true);
    expectAadsts(await redeemAt(customer.tenantId, partnerRefreshToken()), "unauthorized_client", 700016);
  });

  it("answers an unknown tenant or domain with AADSTS90002, and keeps today's single-tenant default without customers", async () => {
    expect(await redeemAt("nobody.onmicrosoft.com", partnerRefreshToken())).toMatchObject({ status: 400, body: { error: "invalid_tenant", error_codes: [90002] } });
    expect(s.entra.app(s.clientId)?.multiTenant).toBe(true);
    const plain = await startStandIns({ appCredential: "secret" });
    try {
      expect(plain.entra.app(plain.clientId)?.multiTenant).toBe(false);
      expect(plain.customers).toEqual([]);
    } finally {
      await plain.stop();
    }
  });
});
