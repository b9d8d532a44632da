/**
 * The `customers` sweep over an estate with one customer in each state, against
 * in-process stand-ins for Graph and Partner Center: exactly the expected
 * verdicts and next steps, one token request per customer, and customer-side
 * policy errors that never send the user back to the bootstrap.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { catalogError } from "../../../bootstrap/src/core/error-catalogue";
import { HostThrottle } from "../../../bootstrap/src/core/host-throttle";
import { ApiClient, type TokenRequest } from "../../../bootstrap/src/partner-center/api-client";
import { listPartnerCenterCustomers, mergeEstate } from "../../../bootstrap/src/fleet/estate";
import { runFleet } from "../../../bootstrap/src/fleet/fleet";
import type { CustomerHealth } from "../../../bootstrap/src/fleet/health";
import { checkCustomer, readPartnerView } from "../../../bootstrap/src/fleet/sweep";
import { GRAPH, PC, assignment, fakeFetch, fakeToken, relationship, type FakeGraph } from "./fakes";

const USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509";
const MY_GROUP = "aaaaaaaa-0000-4000-8000-00000000aaaa";
const OTHER_GROUP = "bbbbbbbb-0000-4000-8000-00000000bbbb";
const SCOPES = ["Directory.Read.All", "User.Read.All"];
const tid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** One customer per state: name, tenant, relationship fields, assignment, and what its token request does. */
const STATES = {
  healthy: { n: 1, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER] },
  ending: { n: 2, rel: { endsInDays: 10 }, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER] },
  endingAutoExtend: { n: 3, rel: { endsInDays: 10, autoExtend: true }, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER] },
  expired: { n: 4, rel: { status: "expired", endsInDays: -5 }, groups: [], roles: [] },
  staleConsent: { n: 5, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER], scp: ["Directory.Read.All"] },
  noConsent: { n: 6, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER], fail: () => catalogError("customer_consent_missing", { aadsts: "65001" }) },
  blockedByPolicy: { n: 7, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER], fail: () => catalogError("conditional_access_blocked", { aadsts: "53003", message: "Blocked by Conditional Access" }) },
  unknownTenant: { n: 8, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER], fail: () => catalogError("tenant_not_found", { aadsts: "90002" }) },
  missingRole: { n: 9, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN] },
  userNotInGroup: { n: 10, rel: {}, groups: [OTHER_GROUP], roles: [USER_ADMIN, SECURITY_READER] },
  noEndDate: { n: 11, rel: { endsInDays: null }, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER] },
  noGdapRole: { n: 12, rel: {}, groups: [MY_GROUP], roles: [USER_ADMIN, SECURITY_READER], fail: () => catalogError("gdap_access_missing", { aadsts: "50020" }) },
} as const satisfies Record<string, { n: number; rel: object; groups: string[]; roles: string[]; scp?: string[]; fail?: () => Error }>;
type State = keyof typeof STATES;

function estateGraph(): FakeGraph {
  const graph: FakeGraph = { relationships: [], assignments: {}, groups: [MY_GROUP], pageSize: 5 };
  for (const [name, s] of Object.entries(STATES)) {
    graph.relationships.push(relationship(`rel-${s.n}`, tid(s.n), name, { ...s.rel, roles: [USER_ADMIN, SECURITY_READER] }));
    graph.assignments[`rel-${s.n}`] = s.groups.map((g) => assignment(g, [...s.roles]));
  }
  // A GDAP customer Partner Center does not list.
  graph.relationships.push(relationship("rel-99", tid(99), "gdapOnly", { roles: [USER_ADMIN, SECURITY_READER] }));
  graph.assignments["rel-99"] = [assignment(MY_GROUP, [USER_ADMIN, SECURITY_READER])];
  return graph;
}

afterEach(() => vi.unstubAllGlobals());

async function sweep(graph: FakeGraph, options: { partnerScopes?: string[] } = {}) {
  const pcCustomers = Object.entries(STATES).map(([name, s]) => ({ tenantId: tid(s.n), name }));
  const fake = fakeFetch(graph, pcCustomers);
  vi.stubGlobal("fetch", fake.fetch);
  const tokenRequests: TokenRequest[] = [];
  const getToken = async (r: TokenRequest): Promise<string> => {
    tokenRequests.push(r);
    if (!r.tenantId) return fakeToken({ tid: "partner", scp: (options.partnerScopes ?? ["DelegatedAdminRelationship.ReadWrite.All"]).join(" ") });
    const state = Object.values(STATES).find((s) => tid(s.n) === r.tenantId) as (typeof STATES)[State] | undefined;
    if (state && "fail" in state) throw state.fail();
    return fakeToken({ tid: r.tenantId, scp: (state && "scp" in state ? state.scp : SCOPES).join(" ") });
  };
  const throttle = new HostThrottle();
  const partner = new ApiClient({ partnerCenterEndpoint: PC, graphEndpoint: GRAPH, getToken, throttle });
  const view = await readPartnerView(partner, options.partnerScopes ?? ["DelegatedAdminRelationship.ReadWrite.All"]);
  const estate = mergeEstate(await listPartnerCenterCustomers(partner), view.relationships ? [...view.relationships.values()].flat() : undefined);
  const settings = { partnerClient: partner, view, customerGraphScopes: SCOPES, requiredRoleIds: [USER_ADMIN, SECURITY_READER], warnDays: 30, now: Date.now };
  const results: CustomerHealth[] = [];
  for await (const r of runFleet(estate, (ctx) => checkCustomer(ctx, settings), { partnerCenterEndpoint: PC, graphEndpoint: GRAPH, getToken, throttle, concurrency: 4 })) {
    if (!r.ok) throw r.error;
    results.push(r.value);
  }
  const byName = Object.fromEntries(results.map((h) => [h.displayName, h])) as Record<State | "gdapOnly", CustomerHealth>;
  return { results, byName, tokenRequests, requests: fake.requests, view };
}

describe("the customers sweep", () => {
  it("gives exactly the expected verdict for one customer in each state", async () => {
    const { byName } = await sweep(estateGraph());
    const verdicts = Object.fromEntries(Object.entries(byName).map(([name, h]) => [name, h.verdict]));
    expect(verdicts).toEqual({
      healthy: "ok",
      ending: "attention",
      endingAutoExtend: "ok",
      expired: "broken",
      staleConsent: "attention",
      noConsent: "broken",
      blockedByPolicy: "broken",
      unknownTenant: "broken",
      missingRole: "attention",
      userNotInGroup: "attention",
      noEndDate: "attention",
      noGdapRole: "broken",
      gdapOnly: "ok",
    });
  });

  it("names the one next step that fixes each problem", async () => {
    const { byName } = await sweep(estateGraph());
    expect(byName.healthy.nextStep).toBeNull();
    expect(byName.ending.nextStep).toMatch(/ends on \d{4}-\d{2}-\d{2} \(in 10 days\) without auto-extend: turn on auto-extend \(P180D\)/);
    expect(byName.expired.nextStep).toContain("cannot be restored: create a new GDAP relationship");
    expect(byName.staleConsent.nextStep).toBe(`The app's consent in staleConsent (${tid(5)}) lacks User.Read.All: run \`partner-center-sam consent --customer ${tid(5)} --replace\`.`);
    expect(byName.staleConsent.consent).toEqual({ state: "stale", grantedScopes: ["Directory.Read.All"], missingScopes: ["User.Read.All"] });
    expect(byName.noConsent.nextStep).toBe(`The app is not consented in noConsent (${tid(6)}): run \`partner-center-sam consent --customer ${tid(6)}\`.`);
    expect(byName.noConsent.consent.state).toBe("missing");
    expect(byName.blockedByPolicy.access).toMatchObject({ state: "conditional_access", aadsts: "53003" });
    expect(byName.blockedByPolicy.nextStep).toContain("ask the customer's admin to allow service-provider users");
    expect(byName.unknownTenant.access.state).toBe("tenant_not_found");
    expect(byName.missingRole.gdap.missingRoles).toEqual(["Security Reader"]);
    expect(byName.missingRole.nextStep).toContain("grants Security Reader (config gdapRoles)");
    expect(byName.userNotInGroup.nextStep).toContain("The bootstrap user is in none of the security groups");
    expect(byName.noEndDate.nextStep).toContain("without an endDateTime");
    expect(byName.noGdapRole.access.state).toBe("no_gdap_role");
    expect(byName.gdapOnly.inPartnerCenter).toBe(false);
    expect(byName.healthy.gdap.relationships[0]).toMatchObject({ status: "active", autoExtend: false, autoExtendDuration: "PT0S", userInGroup: true, roles: [{ id: USER_ADMIN, name: "User Administrator" }, { id: SECURITY_READER, name: "Security Reader" }] });
  });

  it("never tells the user to run the bootstrap for a customer-side problem", async () => {
    const { results } = await sweep(estateGraph());
    for (const h of results) {
      for (const text of [h.nextStep ?? "", ...h.problems]) expect(text.toLowerCase()).not.toContain("bootstrap again");
      for (const text of [h.nextStep ?? "", ...h.problems]) expect(text).not.toMatch(/(npm run|partner-center-sam) bootstrap/);
    }
  });

  it("makes exactly one token request per customer, all without a vault in sight", async () => {
    const { tokenRequests, results } = await sweep(estateGraph());
    const perTenant = new Map<string, number>();
    for (const r of tokenRequests.filter((t) => t.tenantId)) perTenant.set(r.tenantId!, (perTenant.get(r.tenantId!) ?? 0) + 1);
    expect(perTenant.size).toBe(results.length);
    expect([...perTenant.values()].every((n) => n === 1)).toBe(true);
  });

  it("follows Graph's paging of the relationships to the end", async () => {
    const { requests, results } = await sweep(estateGraph());
    expect(requests.filter((r) => r.url.includes("/delegatedAdminRelationships?") || r.url.endsWith("/delegatedAdminRelationships")).length).toBe(3);
    expect(results).toHaveLength(13);
  });

  it("reports a missing DelegatedAdminRelationship.Read.All by name and still checks consent and access", async () => {
    const { view, byName } = await sweep(estateGraph(), { partnerScopes: ["User.Read"] });
    expect(view.gdapUnavailable).toMatchObject({ reason: "permission" });
    expect(view.gdapUnavailable!.message).toContain("DelegatedAdminRelationship.Read.All");
    expect(byName.staleConsent.consent.state).toBe("stale");
    expect(byName.noConsent.verdict).toBe("broken");
    expect(byName.healthy.gdap.checked).toBe(false);
  });

  it("treats Graph's 403 on the relationships as the missing permission", async () => {
    const graph = estateGraph();
    graph.relationshipsStatus = 403;
    const { view } = await sweep(graph);
    expect(view.gdapUnavailable?.reason).toBe("permission");
  });

  it("says so when Graph sends the same nextLink twice, instead of looping", async () => {
    const graph = estateGraph();
    graph.loop = true;
    const { view } = await sweep(graph);
    expect(view.gdapUnavailable).toMatchObject({ reason: "error" });
    expect(view.gdapUnavailable!.message).toContain("sent the same @odata.nextLink twice");
  });
});
