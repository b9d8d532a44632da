/**
 * In-process stand-ins for the fleet's unit tests: a `fetch` that answers like
 * Microsoft Graph's GDAP endpoints (paged with @odata.nextLink) and Partner
 * Center's customer list, and JWT-shaped access tokens carrying `scp`.
 */
export const GRAPH = "https://graph.test";
export const PC = "https://pc.test";

/** An unsigned JWT-shaped token whose payload holds `claims`. */
export function fakeToken(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.c2ln`;
}

/** What the fake Graph serves. */
export interface FakeGraph {
  relationships: Array<Record<string, unknown>>;
  assignments: Record<string, Array<Record<string, unknown>>>;
  groups: string[];
  /** Relationships per page. */
  pageSize?: number;
  /** Answer the relationships list with this status (e.g. 403). */
  relationshipsStatus?: number;
  /** Send the same nextLink again (a page loop). */
  loop?: boolean;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "request-id": "graph-req-1", ...headers } });

/** A fetch answering the fake Graph and a Partner Center customer list. */
export function fakeFetch(graph: FakeGraph, pcCustomers: Array<{ tenantId: string; name: string; domain?: string }>) {
  const requests: Array<{ url: string; authorization: string | null; at: number }> = [];
  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    requests.push({ url: url.toString(), authorization: new Headers(init?.headers).get("authorization"), at: Date.now() });
    if (url.origin === PC && url.pathname === "/v1/customers") {
      return json(200, { totalCount: pcCustomers.length, items: pcCustomers.map((c) => ({ id: c.tenantId, companyProfile: { tenantId: c.tenantId, companyName: c.name, domain: c.domain } })) });
    }
    if (url.origin !== GRAPH) return json(404, { error: { code: "NotFound", message: "no such fake" } });
    if (url.pathname === "/v1.0/tenantRelationships/delegatedAdminRelationships") {
      if (graph.relationshipsStatus) return json(graph.relationshipsStatus, { error: { code: "Forbidden", message: "Insufficient privileges" } });
      const size = graph.pageSize ?? 3;
      const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
      const page = graph.relationships.slice(skip, skip + size);
      const more = skip + size < graph.relationships.length;
      const next = graph.loop ? `${GRAPH}/v1.0/tenantRelationships/delegatedAdminRelationships?$skiptoken=0` : `${GRAPH}/v1.0/tenantRelationships/delegatedAdminRelationships?$skiptoken=${skip + size}`;
      return json(200, { value: page, ...(more || graph.loop ? { "@odata.nextLink": next } : {}) });
    }
    const assignments = /^\/v1\.0\/tenantRelationships\/delegatedAdminRelationships\/([^/]+)\/accessAssignments$/.exec(url.pathname);
    if (assignments) return json(200, { value: graph.assignments[decodeURIComponent(assignments[1]!)] ?? [] });
    if (url.pathname === "/v1.0/me/transitiveMemberOf") return json(200, { value: graph.groups.map((id) => ({ "@odata.type": "#microsoft.graph.group", id })) });
    return json(404, { error: { code: "Request_ResourceNotFound", message: "not found" } });
  };
  return { fetch, requests };
}

/** A relationship as Graph lists it. */
export function relationship(id: string, tenantId: string, name: string, fields: { status?: string; endsInDays?: number | null; autoExtend?: boolean; roles?: string[] } = {}): Record<string, unknown> {
  const end = fields.endsInDays === null ? undefined : new Date(Date.now() + (fields.endsInDays ?? 200) * 86_400_000 - 60_000).toISOString();
  return {
    id,
    displayName: `GDAP ${name}`,
    status: fields.status ?? "active",
    customer: { tenantId, displayName: name },
    accessDetails: { unifiedRoles: (fields.roles ?? []).map((roleDefinitionId) => ({ roleDefinitionId })) },
    duration: "P730D",
    ...(end ? { endDateTime: end } : {}),
    autoExtendDuration: fields.autoExtend ? "P180D" : "PT0S",
  };
}

/** An access assignment as Graph lists it. */
export function assignment(groupId: string, roles: string[], status = "active"): Record<string, unknown> {
  return { id: `${groupId}-a`, status, accessContainer: { accessContainerId: groupId, accessContainerType: "securityGroup" }, accessDetails: { unifiedRoles: roles.map((roleDefinitionId) => ({ roleDefinitionId })) } };
}
