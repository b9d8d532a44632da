/**
 * A local stand-in for Microsoft Graph: what the customer sweep and fan-out read, in the partner's tenant and in
 * customer tenants, on its own loopback HTTPS origin, under `/v1.0` (and `/beta`, which CIPP uses, with the same answers).
 *
 * - `GET /tenantRelationships/delegatedAdminRelationships[/{id}]` and `…/{id}/accessAssignments` — GDAP, paged
 *   (`$top` up to 300, `$skiptoken`, `@odata.nextLink`), `$filter=status eq '…'` / `customer/tenantId eq '…'`;
 *   delegated permission DelegatedAdminRelationship.Read.All or …ReadWrite.All
 *   (learn.microsoft.com/graph/api/tenantrelationship-list-delegatedadminrelationships,
 *   …/delegatedadminrelationship-list-accessassignments).
 * - `GET /me/memberOf`, `/me/transitiveMemberOf` (and their `/microsoft.graph.group` casts) — the signed-in user's
 *   security groups (learn.microsoft.com/graph/api/user-list-memberof, …/user-list-transitivememberof).
 * - `GET /organization`, `/users` (page 100, `$top` ≤ 999), `/domains`, `/subscribedSkus` of the token's tenant.
 *
 * Accepts only a token Entra issued for Graph (`aud` https://graph.microsoft.com or its app id
 * 00000003-0000-0000-c000-000000000000), and answers for the token's tenant (`tid`). Errors in Graph's shape with
 * `request-id` / `client-request-id` headers (./errors). A tenant can be throttled (429 + Retry-After).
 *
 * Never logs; the call log carries no tokens.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { AccessTokenError, type EntraEmulator } from "../entra";
import { LoopbackServer, bearerToken, requestUrl, sendJson } from "../http";
import type { Claims } from "../jwt";
import { GraphError, insufficientPrivileges, invalidToken, segmentNotFound, sendGraphError, throttled } from "./errors";
import { SkipTokens, queryParam, type PageSizes } from "./paging";
import { accessAssignmentJson, domainsOf, groupJson, organizationJson, parseFilter, relationshipJson, subscribedSkusOf, usersOf } from "./resources";
import type { DelegatedAdminRelationship, GraphCall, GraphEmulatorOptions, GraphTenant, GraphThrottle, SecurityGroup } from "./types";

export type * from "./types";
export { derivedGuid } from "./resources";

/** Microsoft Graph's resource URI and application id: the two `aud` values of a Graph token. */
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** Delegated permissions per API (least privileged first), from each API's Graph reference page. */
const PERMISSIONS = {
  gdap: ["DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All"],
  memberOf: ["User.Read", "User.ReadBasic.All", "GroupMember.Read.All", "User.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"],
  organization: ["User.Read", "Organization.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"],
  users: ["User.ReadBasic.All", "User.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"],
  domains: ["Domain.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"],
  subscribedSkus: ["LicenseAssignment.Read.All", "Organization.Read.All", "Directory.Read.All", "Directory.AccessAsUser.All"],
} as const;

const GDAP_PAGES: PageSizes = { defaultSize: 100, maxTop: 300 };
const DIRECTORY_PAGES: PageSizes = { defaultSize: 100, maxTop: 999 };

type Answer = { status: number; body: unknown };

/** A Microsoft Graph stand-in. */
export class GraphEmulator {
  /** Every call, oldest first. */
  readonly calls: GraphCall[] = [];
  /** Items per page of the GDAP lists when the request names no `$top` (Graph's own default is not documented). */
  relationshipsPageSize = GDAP_PAGES.defaultSize;

  private readonly server: LoopbackServer;
  private readonly entra: EntraEmulator;
  /** Relationships per partner tenant id (lower case), in order. */
  private readonly relationships = new Map<string, DelegatedAdminRelationship[]>();
  /** Security groups per tenant id. */
  private readonly groups = new Map<string, Map<string, SecurityGroup>>();
  private readonly tenants = new Map<string, GraphTenant>();
  private readonly throttles = new Map<string, { retryAfterSeconds: number; remaining: number }>();
  private readonly skipTokens = new SkipTokens();

  constructor(options: GraphEmulatorOptions) {
    this.entra = options.entra;
    this.server = new LoopbackServer((req, res) => this.handle(req, res), options.tls);
  }

  /** Graph's endpoint, e.g. `https://localhost:41236` (no trailing slash; requests go to `${url}/v1.0/…`). */
  get url(): string {
    if (!this.server.port) throw new Error("GraphEmulator is not started");
    return `https://localhost:${this.server.port}`;
  }

  /** Starts listening on `port` (default a free one); Entra then issues Graph tokens for scopes on this origin too. */
  async start(port?: number): Promise<void> {
    await this.server.start(port);
    this.entra.registerResourceAlias(this.url, GRAPH_RESOURCE);
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Adds (or replaces) a tenant's directory data. */
  addTenant(tenant: Partial<GraphTenant> & { id: string }): GraphTenant {
    const id = tenant.id.toLowerCase();
    const added: GraphTenant = { displayName: id, domains: [], userCount: 3, skuCount: 1, ...tenant, id };
    this.tenants.set(id, added);
    return added;
  }

  /** Adds a security group to a tenant (the partner's access containers). */
  addGroup(tenantId: string, group: { id?: string; displayName: string; members?: Iterable<string> }): SecurityGroup {
    const groups = this.groups.get(tenantId.toLowerCase()) ?? new Map<string, SecurityGroup>();
    this.groups.set(tenantId.toLowerCase(), groups);
    const added: SecurityGroup = { id: (group.id ?? randomUUID()).toLowerCase(), displayName: group.displayName, members: new Set(group.members ?? []) };
    groups.set(added.id, added);
    return added;
  }

  /** The group with this id in a tenant. */
  group(tenantId: string, groupId: string): SecurityGroup | undefined {
    return this.groups.get(tenantId.toLowerCase())?.get(groupId.toLowerCase());
  }

  /** Adds a GDAP relationship of the partner tenant `partnerTenantId`. */
  addRelationship(partnerTenantId: string, relationship: DelegatedAdminRelationship): DelegatedAdminRelationship {
    const list = this.relationships.get(partnerTenantId.toLowerCase()) ?? [];
    this.relationships.set(partnerTenantId.toLowerCase(), list);
    list.push(relationship);
    return relationship;
  }

  /** The partner's relationships (live objects: change one to change what Graph answers). */
  relationshipsOf(partnerTenantId: string): DelegatedAdminRelationship[] {
    return this.relationships.get(partnerTenantId.toLowerCase()) ?? [];
  }

  /** The tenant's next `times` (default 1) requests get 429 with `Retry-After`; `undefined` lifts it. */
  throttle(tenantId: string, throttle: GraphThrottle | undefined): void {
    if (!throttle) this.throttles.delete(tenantId.toLowerCase());
    else this.throttles.set(tenantId.toLowerCase(), { retryAfterSeconds: throttle.retryAfterSeconds, remaining: throttle.times ?? 1 });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const sent = req.headers["client-request-id"];
    const requestId = randomUUID();
    const call: GraphCall = { method: req.method ?? "GET", path: url.pathname, search: url.search, status: 0, requestId, clientRequestId: typeof sent === "string" && sent ? sent : requestId };
    this.calls.push(call);
    const ids = { requestId, clientRequestId: call.clientRequestId };
    try {
      const claims = this.authenticate(req);
      call.tenantId = String(claims.tid).toLowerCase();
      call.user = typeof claims.upn === "string" ? claims.upn : undefined;
      const throttle = this.throttles.get(call.tenantId);
      if (throttle && throttle.remaining > 0) {
        throttle.remaining--;
        throw throttled(throttle.retryAfterSeconds);
      }
      const answer = this.route(call.method, url, claims);
      call.status = answer.status;
      sendJson(res, answer.status, answer.body, {
        "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        "request-id": ids.requestId,
        "client-request-id": ids.clientRequestId,
      });
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      call.status = err.status;
      call.code = err.code;
      sendGraphError(res, err, ids, Date.now());
    }
  }

  /** Verifies the bearer token: issued by Entra here, for Graph, unexpired. */
  private authenticate(req: http.IncomingMessage): Claims {
    const token = bearerToken(req);
    if (!token) throw invalidToken("Access token is empty.");
    const verify = (audience: string): Claims => this.entra.verifyAccessToken(token, { audience });
    try {
      try {
        return verify(GRAPH_RESOURCE);
      } catch (err) {
        if (err instanceof AccessTokenError && err.reason === "audience") return verify(GRAPH_APP_ID);
        throw err;
      }
    } catch (err) {
      if (!(err instanceof AccessTokenError)) throw err;
      // Texts as Graph sends them (learn.microsoft.com/graph/resolve-auth-errors; microsoft-graph-docs issues).
      const messages: Record<AccessTokenError["reason"], string> = {
        malformed: "IDX14100: JWT is not well formed, there are no dots (.).",
        signature: "Access token validation failure.",
        issuer: "Access token validation failure. Invalid issuer.",
        audience: "Access token validation failure. Invalid audience.",
        expired: "Lifetime validation failed, the token is expired.",
        "not-yet-valid": "Lifetime validation failed, the token is not yet valid.",
        tenant: "Access token validation failure.",
      };
      throw invalidToken(messages[err.reason]);
    }
  }

  private route(method: string, url: URL, claims: Claims): Answer {
    const parts = url.pathname.split("/").filter(Boolean).map((p) => decodeURIComponent(p));
    const [version, ...rest] = parts;
    if (version !== "v1.0" && version !== "beta") throw new GraphError(404, "NotFound", `Invalid version: ${version ?? ""}`);
    if (method !== "GET") throw new GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
    const tid = String(claims.tid).toLowerCase();
    const base = `${this.url}/${version}`;
    const need = (permission: keyof typeof PERMISSIONS) => {
      const granted = new Set(String(claims.scp ?? "").split(" ").filter(Boolean));
      if (!PERMISSIONS[permission].some((p) => granted.has(p))) throw insufficientPrivileges();
    };
    const [first, second, third, fourth, ...extra] = rest;
    if (first === "tenantRelationships" && second === "delegatedAdminRelationships") {
      need("gdap");
      const all = this.relationshipsOf(tid);
      if (third === undefined) {
        const keep = parseFilter(queryParam(url, "$filter"));
        const items = all.map(relationshipJson).filter(keep);
        return { status: 200, body: this.skipTokens.page(items, url, this.url, `${tid}|relationships`, { ...GDAP_PAGES, defaultSize: this.relationshipsPageSize }, `${base}/$metadata#tenantRelationships/delegatedAdminRelationships`) };
      }
      const relationship = all.find((r) => r.id === third);
      if (!relationship) throw new GraphError(404, "NotFound", `The delegated admin relationship with id '${third}' was not found.`);
      if (fourth === undefined) return { status: 200, body: { "@odata.context": `${base}/$metadata#tenantRelationships/delegatedAdminRelationships/$entity`, ...relationshipJson(relationship) } };
      if (fourth === "accessAssignments" && extra.length === 0) {
        const keep = parseFilter(queryParam(url, "$filter"));
        const items = relationship.accessAssignments.map(accessAssignmentJson).filter(keep);
        return { status: 200, body: this.skipTokens.page(items, url, this.url, `${tid}|${relationship.id}|assignments`, { ...GDAP_PAGES, defaultSize: this.relationshipsPageSize }, `${base}/$metadata#tenantRelationships/delegatedAdminRelationships('${relationship.id}')/accessAssignments`) };
      }
      throw segmentNotFound(fourth);
    }
    if (first === "me" && (second === "memberOf" || second === "transitiveMemberOf") && (third === undefined || third === "microsoft.graph.group") && fourth === undefined) {
      if (claims.idtyp === "app" || typeof claims.scp !== "string") throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
      need("memberOf");
      const oid = String(claims.oid ?? "").toLowerCase();
      const items = [...(this.groups.get(tid)?.values() ?? [])].filter((g) => g.members.has(oid)).map(groupJson);
      return { status: 200, body: this.skipTokens.page(items, url, this.url, `${tid}|${oid}|${second}`, DIRECTORY_PAGES, `${base}/$metadata#directoryObjects`) };
    }
    const tenant = this.tenants.get(tid) ?? this.addTenant({ id: tid });
    if (rest.length === 1) {
      switch (first) {
        case "organization":
          need("organization");
          return { status: 200, body: { "@odata.context": `${base}/$metadata#organization`, value: [organizationJson(tenant)] } };
        case "users":
          need("users");
          return { status: 200, body: this.skipTokens.page(usersOf(tenant), url, this.url, `${tid}|users`, DIRECTORY_PAGES, `${base}/$metadata#users`) };
        case "domains":
          need("domains");
          return { status: 200, body: { "@odata.context": `${base}/$metadata#domains`, value: domainsOf(tenant) } };
        case "subscribedSkus":
          need("subscribedSkus");
          return { status: 200, body: { "@odata.context": `${base}/$metadata#subscribedSkus`, value: subscribedSkusOf(tenant) } };
      }
    }
    throw segmentNotFound(rest.find((p, i) => i > 0 || !["tenantRelationships", "me"].includes(p)) ?? first ?? "");
  }
}
