/**
 * The health check of `partner-center-sam customers`: what the partner's own
 * tenant says (GDAP relationships, the bootstrap user's groups — read once) and,
 * per customer, its relationships' access assignments and one token request in
 * the customer tenant (Graph `.default`, nothing written back), judged by
 * health.ts.
 */
import { roleName } from "../core/entra-roles";
import { ApiCallError, type ApiClient } from "../partner-center/api-client";
import { readJwtClaims } from "../entra/jwt-claims";
import type { CustomerContext } from "./fleet";
import { autoExtends, isActive, listAssignments, listRelationships, myGroupIds, type GdapRelationship } from "./gdap";
import { classifyAccess, daysUntil, judge, type CustomerHealth, type RelationshipReport } from "./health";

/** The delegated permissions that let the sweep read GDAP relationships (either one). */
export const GDAP_READ_SCOPES = ["DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All"] as const;

/** What the partner's own tenant says, read once per sweep. */
export interface PartnerView {
  /** Relationships by customer tenant id; undefined when they could not be read. */
  relationships?: Map<string, GdapRelationship[]>;
  /** Why the relationships could not be read. */
  gdapUnavailable?: { reason: "permission" | "error"; message: string };
  /** The bootstrap user's groups; undefined when Graph would not say. */
  myGroups?: Set<string>;
}

/** Reads the partner's relationships and groups. `grantedScopes` (the partner Graph token's `scp`) lets a missing permission be named before any call. */
export async function readPartnerView(client: ApiClient, grantedScopes: readonly string[] | undefined, signal?: AbortSignal): Promise<PartnerView> {
  // MSAL reports granted scopes resource-qualified (https://graph.microsoft.com/X); the token's scp has the bare names.
  const has = (s: string) => grantedScopes?.some((g) => g.replace(/^.*\//, "").toLowerCase() === s.toLowerCase()) ?? true;
  const permission = (detail: string): PartnerView => ({
    gdapUnavailable: {
      reason: "permission",
      message: `The partner's Microsoft Graph token lacks the delegated permission DelegatedAdminRelationship.Read.All (${detail}), so GDAP relationships cannot be read.`,
    },
  });
  let view: PartnerView;
  if (!GDAP_READ_SCOPES.some(has)) {
    view = permission(`granted: ${grantedScopes?.map((g) => g.replace(/^.*\//, "")).join(" ") || "none"}`);
  } else {
    try {
      const relationships = await listRelationships(client, signal);
      const byTenant = new Map<string, GdapRelationship[]>();
      for (const r of relationships) byTenant.set(r.customerTenantId, [...(byTenant.get(r.customerTenantId) ?? []), r]);
      view = { relationships: byTenant };
    } catch (error) {
      if (error instanceof ApiCallError && error.answer.status === 403) view = permission(`Graph answered 403 ${error.serviceCode ?? ""}`.trim());
      else if (error instanceof ApiCallError || (error as { code?: string }).code === "api_unreachable" || (error as { code?: string }).code === "too_many_pages") {
        view = { gdapUnavailable: { reason: "error", message: (error as Error).message.split("\n")[0]! } };
      } else throw error;
    }
  }
  if (view.relationships) view.myGroups = await myGroupIds(client, signal);
  return view;
}

/** What {@link checkCustomer} compares against. */
export interface SweepSettings {
  /** The partner-tenant client (shares the run's throttle) for access assignments. */
  partnerClient: ApiClient;
  view: PartnerView;
  /** The stack's customerGraphScopes. */
  customerGraphScopes: readonly string[];
  /** Config gdapRoles as template ids. */
  requiredRoleIds: readonly string[];
  warnDays: number;
  now: () => number;
}

/** Checks one customer: GDAP, consent, access, and the verdict. */
export async function checkCustomer(ctx: CustomerContext, settings: SweepSettings): Promise<CustomerHealth> {
  const { customer } = ctx;
  const { view } = settings;
  const now = settings.now();
  const relationships = view.relationships?.get(customer.tenantId) ?? [];
  const reports: RelationshipReport[] = [];
  const heldRoles = new Set<string>();
  for (const r of relationships) {
    const assignments = isActive(r) ? await listAssignments(settings.partnerClient, r.id, ctx.signal) : [];
    const live = assignments.filter((a) => a.status === "active");
    const roles = [...new Set(live.flatMap((a) => a.roleIds))];
    roles.forEach((id) => heldRoles.add(id));
    const groups = view.myGroups;
    const userInGroup = groups === undefined ? null : live.some((a) => a.roleIds.length > 0 && groups.has(a.groupId));
    reports.push({
      id: r.id,
      displayName: r.displayName,
      status: r.status,
      endDateTime: r.endDateTime ?? null,
      daysLeft: daysUntil(r.endDateTime, now),
      autoExtendDuration: r.autoExtendDuration ?? null,
      autoExtend: autoExtends(r),
      roles: roles.map((id) => ({ id, name: roleName(id) })),
      userInGroup: isActive(r) ? userInGroup : null,
    });
  }
  const gdap: CustomerHealth["gdap"] = {
    checked: view.relationships !== undefined,
    relationships: reports,
    missingRoles: view.relationships ? settings.requiredRoleIds.filter((id) => !heldRoles.has(id)).map(roleName) : [],
  };
  let access: CustomerHealth["access"] = { state: "ok", code: null, aadsts: null, correlationId: null, message: null };
  let consent: CustomerHealth["consent"] = { state: "unknown", grantedScopes: [], missingScopes: [] };
  try {
    const token = await ctx.getToken();
    const scp = readJwtClaims(token)?.scp;
    const granted = typeof scp === "string" ? scp.split(" ").filter(Boolean) : [];
    const lower = new Set(granted.map((s) => s.toLowerCase()));
    const missing = settings.customerGraphScopes.filter((s) => !lower.has(s.toLowerCase()));
    consent = { state: missing.length ? "stale" : "current", grantedScopes: granted, missingScopes: missing };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    access = classifyAccess(error);
    if (access.state === "consent_missing") consent = { state: "missing", grantedScopes: [], missingScopes: [...settings.customerGraphScopes] };
  }
  const verdict = judge({ tenantId: customer.tenantId, displayName: customer.displayName, gdap, consent, access, warnDays: settings.warnDays });
  return {
    tenantId: customer.tenantId,
    displayName: customer.displayName,
    domain: customer.domain ?? null,
    inPartnerCenter: customer.inPartnerCenter,
    ...verdict,
    gdap,
    consent,
    access,
  };
}
