/**
 * The estate: Partner Center's customers (`GET /v1/customers`, every page)
 * merged with the customers of the partner's GDAP relationships, so a customer
 * with GDAP but missing from Partner Center's list, or the reverse, is shown too.
 */
import type { ApiClient } from "../partner-center/api-client";
import type { GdapRelationship } from "./gdap";
import type { FleetCustomer } from "./selection";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Partner Center's customer list (every page). Items without a tenant id are left out. */
export async function listPartnerCenterCustomers(client: ApiClient, signal?: AbortSignal): Promise<FleetCustomer[]> {
  const { body } = await client.call({ target: "/v1/customers", all: true, signal });
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  const seen = new Set<string>();
  const customers: FleetCustomer[] = [];
  for (const item of items as Array<{ id?: unknown; companyProfile?: { tenantId?: unknown; companyName?: unknown; domain?: unknown } }>) {
    const raw = item?.companyProfile?.tenantId ?? item?.id;
    if (typeof raw !== "string" || !GUID.test(raw)) continue;
    const tenantId = raw.toLowerCase();
    if (seen.has(tenantId)) continue;
    seen.add(tenantId);
    const name = item.companyProfile?.companyName;
    const domain = item.companyProfile?.domain;
    customers.push({ tenantId, displayName: typeof name === "string" && name ? name : tenantId, ...(typeof domain === "string" && domain ? { domain } : {}), inPartnerCenter: true });
  }
  return customers;
}

/** Partner Center's customers, then the GDAP-only ones (in the relationships' order). */
export function mergeEstate(partnerCenter: readonly FleetCustomer[], relationships: readonly GdapRelationship[] | undefined): FleetCustomer[] {
  const estate = [...partnerCenter];
  const known = new Set(estate.map((c) => c.tenantId));
  for (const r of relationships ?? []) {
    if (known.has(r.customerTenantId)) continue;
    known.add(r.customerTenantId);
    estate.push({ tenantId: r.customerTenantId, displayName: r.customerName, inPartnerCenter: false });
  }
  return estate;
}
