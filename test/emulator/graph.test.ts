/**
 * The emulator's Microsoft Graph: GDAP relationships and access assignments with real paging, the signed-in
 * user's groups, tenant read endpoints, and Graph's answers to bad tokens, missing permissions and throttling.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DIRECTORY_READERS_ROLE, defaultEstate } from "../../emulator";
import { decodeJwt } from "../../emulator/jwt";
import { allPages, closeAll, graphGet, graphToken, redeem, start } from "./graph-support";

afterEach(closeAll);

const GDAP = "/v1.0/tenantRelationships/delegatedAdminRelationships";
const DAY = 24 * 3600 * 1000;

describe("the emulator's Microsoft Graph", () => {
  it("lists the partner's GDAP relationships page by page with Graph's fields, following @odata.nextLink to the end", async () => {
    const emu = await start({ customers: defaultEstate() });
    const token = await graphToken(emu);
    expect(decodeJwt(token).payload).toMatchObject({ aud: "https://graph.microsoft.com", tid: emu.tenantId });

    const { items, pages } = await allPages(emu, `${GDAP}?$top=3`, token);
    // Every customer of the default estate except the one without a relationship, each once.
    expect(pages).toBe(3);
    expect(items.map((r) => (r.customer as { displayName: string }).displayName)).toEqual(defaultEstate().filter((c) => c.gdap).map((c) => c.displayName));
    const northwind = items[1]!;
    expect(Object.keys(northwind).sort()).toEqual(
      ["@odata.etag", "@odata.type", "accessDetails", "activatedDateTime", "autoExtendDuration", "createdDateTime", "customer", "displayName", "duration", "endDateTime", "id", "lastModifiedDateTime", "status"].sort(),
    );
    expect(northwind).toMatchObject({
      status: "active",
      autoExtendDuration: "PT0S",
      duration: "P730D",
      customer: { tenantId: emu.customers[1].tenantId, displayName: "Northwind (GDAP ends in 10 days)" },
      accessDetails: { unifiedRoles: [{ roleDefinitionId: DIRECTORY_READERS_ROLE }] },
    });
    expect(northwind.id).toMatch(/^[0-9a-f-]{36}-[0-9a-f-]{36}$/);
    expect(Math.round((Date.parse(northwind.endDateTime as string) - Date.now()) / DAY)).toBe(10);
    expect(items[0]).toMatchObject({ autoExtendDuration: "P180D", status: "active" });
    expect(items[2]).toMatchObject({ status: "expired" });
    expect(Date.parse(items[2]!.endDateTime as string)).toBeLessThan(Date.now());
  });

  it("filters relationships by status, and gets one by id", async () => {
    const emu = await start({ customers: defaultEstate() });
    const token = await graphToken(emu);
    const active = await graphGet(emu, `${GDAP}?$filter=${encodeURIComponent("status eq 'active'")}`, token);
    expect((active.body.value as Array<{ status: string }>).map((r) => r.status)).toEqual(Array(7).fill("active"));
    const id = (active.body.value as Array<{ id: string }>)[0]!.id;
    const one = await graphGet(emu, `${GDAP}/${id}`, token);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, status: "active" });
    const missing = await graphGet(emu, `${GDAP}/no-such-relationship`, token);
    expect(missing.status).toBe(404);
  });

  it("lists a relationship's access assignments, whose security group holds the signed-in user unless the customer says otherwise", async () => {
    const emu = await start({ customers: defaultEstate() });
    const token = await graphToken(emu);
    const { items } = await allPages(emu, GDAP, token);
    const groupOf = async (relationship: Record<string, unknown>) => {
      const assignments = await graphGet(emu, `${GDAP}/${String(relationship.id)}/accessAssignments`, token);
      expect(assignments.status).toBe(200);
      const [assignment] = assignments.body.value as Array<Record<string, unknown>>;
      expect(assignment).toMatchObject({ status: "active", accessContainer: { accessContainerType: "securityGroup" }, accessDetails: { unifiedRoles: [{ roleDefinitionId: DIRECTORY_READERS_ROLE }] } });
      return (assignment!.accessContainer as { accessContainerId: string }).accessContainerId;
    };
    const healthyGroup = await groupOf(items[0]!);
    const prosewareGroup = await groupOf(items.find((r) => String((r.customer as { displayName: string }).displayName).startsWith("Proseware"))!);
    expect(prosewareGroup).not.toBe(healthyGroup);

    for (const path of ["/v1.0/me/memberOf", "/v1.0/me/transitiveMemberOf/microsoft.graph.group"]) {
      const groups = await graphGet(emu, path, token);
      expect(groups.status).toBe(200);
      const ids = (groups.body.value as Array<{ id: string; "@odata.type": string; securityEnabled: boolean }>).map((g) => g.id);
      expect(ids).toContain(healthyGroup);
      expect(ids).not.toContain(prosewareGroup);
      expect((groups.body.value as Array<Record<string, unknown>>)[0]).toMatchObject({ "@odata.type": "#microsoft.graph.group", securityEnabled: true });
    }
  });

  it("answers /organization, /users (paged), /domains and /subscribedSkus for the token's own tenant, a customer's", async () => {
    const emu = await start({ customers: [{ displayName: "Fabrikam", domain: "fabrikam.onmicrosoft.com", consented: true, gdap: true }] });
    const [fabrikam] = emu.customers;
    const token = await graphToken(emu, fabrikam.tenantId);
    expect(decodeJwt(token).payload.tid).toBe(fabrikam.tenantId);

    const org = await graphGet(emu, "/v1.0/organization", token);
    expect(org.body.value).toEqual([expect.objectContaining({ id: fabrikam.tenantId, displayName: "Fabrikam", verifiedDomains: [expect.objectContaining({ name: "fabrikam.onmicrosoft.com", isDefault: true })] })]);
    const users = await allPages(emu, "/v1.0/users?$top=2", token);
    expect(users.pages).toBe(2);
    expect(users.items.map((u) => u.userPrincipalName)).toEqual(["user0001@fabrikam.onmicrosoft.com", "user0002@fabrikam.onmicrosoft.com", "user0003@fabrikam.onmicrosoft.com"]);
    expect((await graphGet(emu, "/v1.0/domains", token)).body.value).toEqual([expect.objectContaining({ id: "fabrikam.onmicrosoft.com", isVerified: true })]);
    expect((await graphGet(emu, "/v1.0/subscribedSkus", token)).body.value).toEqual([expect.objectContaining({ skuPartNumber: "SPE_E3", id: `${fabrikam.tenantId}_05e9a617-0261-4cee-bb44-138d3ef5d965` })]);
    // The app is consented there with the stack's customerGraphScopes only (as `consent` grants them), which do not
    // include DelegatedAdminRelationship.Read.All: Graph refuses the GDAP list as it does without a permission.
    const gdap = await graphGet(emu, GDAP, token);
    expect(gdap.status).toBe(403);
    expect(gdap.body).toMatchObject({ error: { code: "Authorization_RequestDenied" } });
  });

  it("refuses a request without a Graph token with 401 in Graph's error shape, with request-id and client-request-id", async () => {
    const emu = await start({ bootstrapped: true });
    const none = await graphGet(emu, GDAP, undefined, { "client-request-id": "5b1f7c1e-0000-4000-8000-000000000001" });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: {
        code: "InvalidAuthenticationToken",
        message: "Access token is empty.",
        innerError: { date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), "request-id": none.headers.get("request-id"), "client-request-id": "5b1f7c1e-0000-4000-8000-000000000001" },
      },
    });
    expect(none.headers.get("client-request-id")).toBe("5b1f7c1e-0000-4000-8000-000000000001");
    expect(none.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);

    // A Partner Center token is not a Graph token.
    const pc = await redeem(emu, emu.outputs.scopes[0]);
    const wrong = await graphGet(emu, GDAP, pc.body.access_token as string);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." });
    expect((await graphGet(emu, GDAP, "not-a-token")).status).toBe(401);
    expect(emu.graph.calls.map((c) => c.status)).toEqual([401, 401, 401]);
  });

  it("answers 403 Authorization_RequestDenied when the token lacks DelegatedAdminRelationship.Read.All, and serves /me/memberOf with User.Read", async () => {
    const emu = await start({ customers: defaultEstate(), partnerGraphScopes: ["User.Read"] });
    const token = await graphToken(emu);
    expect(decodeJwt(token).payload.scp).toBe("User.Read");
    const denied = await graphGet(emu, GDAP, token);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    expect((await graphGet(emu, "/v1.0/me/memberOf", token)).status).toBe(200);
    expect((await graphGet(emu, "/v1.0/users", token)).status).toBe(403);
  });

  it("throttles a tenant as asked: 429 TooManyRequests with Retry-After, then answers again", async () => {
    const emu = await start({ customers: [{ consented: true, gdap: true, throttle: { retryAfterSeconds: 2, times: 2 } }, { consented: true, gdap: true }] });
    const [slow, other] = emu.customers;
    const token = await graphToken(emu, slow.tenantId);
    for (let i = 0; i < 2; i++) {
      const refused = await graphGet(emu, "/v1.0/organization", token);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("2");
      expect(refused.body.error).toMatchObject({ code: "TooManyRequests" });
    }
    expect((await graphGet(emu, "/v1.0/organization", token)).status).toBe(200);
    expect((await graphGet(emu, "/v1.0/organization", await graphToken(emu, other.tenantId))).status).toBe(200);
  });

  it("answers 400 for an unknown segment, a $top out of range, a foreign skip token and a filter it cannot read", async () => {
    const emu = await start({ customers: defaultEstate() });
    const token = await graphToken(emu);
    const unknown = await graphGet(emu, "/v1.0/nonsense", token);
    expect([unknown.status, unknown.body.error]).toEqual([400, expect.objectContaining({ code: "BadRequest", message: "Resource not found for the segment 'nonsense'." })]);
    expect((await graphGet(emu, `${GDAP}?$top=301`, token)).status).toBe(400);
    expect((await graphGet(emu, `${GDAP}?$top=300`, token)).status).toBe(200);
    expect((await graphGet(emu, "/v1.0/users?$top=1000", token)).status).toBe(400);
    expect((await graphGet(emu, `${GDAP}?$skiptoken=made-up`, token)).status).toBe(400);
    expect((await graphGet(emu, "/v1.0/%E0%A4%A", token)).status).toBe(400);
    expect((await graphGet(emu, `${GDAP}?$filter=${encodeURIComponent("startswith(displayName,'a')")}`, token)).status).toBe(400);
  });
});
