/**
 * The partner's GDAP relationships, read from Microsoft Graph in the partner's
 * own tenant (delegated permission DelegatedAdminRelationship.Read.All, or
 * ReadWrite.All which includes it):
 * - `GET /v1.0/tenantRelationships/delegatedAdminRelationships`, paged with
 *   `@odata.nextLink` (fields: id, displayName, status, customer { tenantId,
 *   displayName }, accessDetails.unifiedRoles[].roleDefinitionId, endDateTime,
 *   autoExtendDuration `PT0S`/`P0D` = off, e.g. `P180D` = on);
 * - `GET …/delegatedAdminRelationships/{id}/accessAssignments` (status,
 *   accessContainer { accessContainerId, accessContainerType: securityGroup },
 *   accessDetails.unifiedRoles);
 * - `GET /v1.0/me/transitiveMemberOf` for the bootstrap user's groups.
 * Source: Microsoft Graph v1.0 reference, delegatedAdminRelationship and
 * delegatedAdminAccessAssignment resource types and their List methods
 * (learn.microsoft.com/graph/api/resources/delegatedadminrelationship).
 */
import { catalogError } from "../core/error-catalogue";
import { ApiCallError, type ApiClient } from "../partner-center/api-client";

/** The most pages one Graph collection may have before the sweep gives up. */
export const MAX_GRAPH_PAGES = 1000;

/** A relationship with one customer, as the sweep reports it. */
export interface GdapRelationship {
  id: string;
  displayName: string;
  /** Graph's status: active, expiring, expired, terminated, approvalPending, … */
  status: string;
  customerTenantId: string;
  customerName: string;
  /** ISO 8601; undefined when Graph sent none. */
  endDateTime?: string;
  /** ISO 8601 duration; `PT0S`/`P0D` mean no auto-extend. */
  autoExtendDuration?: string;
  /** Role template ids the relationship grants (accessDetails). */
  grantedRoleIds: string[];
}

/** One access assignment of a relationship. */
export interface GdapAssignment {
  status: string;
  /** The partner's security group the roles are assigned to. */
  groupId: string;
  roleIds: string[];
}

/** Every item of a Graph collection, following `@odata.nextLink`; a link seen twice is a loop and fails. */
export async function graphCollection(client: ApiClient, url: string, signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  const seen = new Set<string>();
  for (let next: string | undefined = url, pages = 0; next; pages++) {
    if (seen.has(next) || pages >= MAX_GRAPH_PAGES) {
      throw catalogError("too_many_pages", {
        message: `Microsoft Graph's paging of ${new URL(url).pathname} did not end: ${seen.has(next) ? "it sent the same @odata.nextLink twice" : `more than ${MAX_GRAPH_PAGES} pages`}.`,
        hint: "Run the command again; if it persists, report it with the time of the failure.",
      });
    }
    seen.add(next);
    const { body } = await client.call({ target: next, signal });
    const page = (body ?? {}) as { value?: unknown; "@odata.nextLink"?: unknown };
    if (Array.isArray(page.value)) items.push(...page.value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null));
    next = typeof page["@odata.nextLink"] === "string" && page["@odata.nextLink"] !== "" ? page["@odata.nextLink"] : undefined;
    if (next && new URL(next).origin !== new URL(url).origin) {
      throw catalogError("next_page_elsewhere", { message: `Refusing to follow Microsoft Graph's next-page link to ${new URL(next).host}: it is not ${new URL(url).host}.` });
    }
  }
  return items;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const roleIds = (details: unknown): string[] => {
  const roles = (details as { unifiedRoles?: unknown } | undefined)?.unifiedRoles;
  return Array.isArray(roles) ? roles.map((r) => str((r as { roleDefinitionId?: unknown })?.roleDefinitionId)?.toLowerCase()).filter((r): r is string => r !== undefined) : [];
};

/** The partner's relationships (every page), skipping items without a customer tenant id. */
export async function listRelationships(client: ApiClient, signal?: AbortSignal): Promise<GdapRelationship[]> {
  const items = await graphCollection(client, `${client.graphEndpoint}/v1.0/tenantRelationships/delegatedAdminRelationships`, signal);
  return items.flatMap((item) => {
    const customer = (item.customer ?? {}) as { tenantId?: unknown; displayName?: unknown };
    const tenantId = str(customer.tenantId)?.toLowerCase();
    const id = str(item.id);
    if (!tenantId || !id) return [];
    return [
      {
        id,
        displayName: str(item.displayName) ?? id,
        status: str(item.status) ?? "unknown",
        customerTenantId: tenantId,
        customerName: str(customer.displayName) ?? tenantId,
        endDateTime: str(item.endDateTime),
        autoExtendDuration: str(item.autoExtendDuration),
        grantedRoleIds: roleIds(item.accessDetails),
      },
    ];
  });
}

/** A relationship's access assignments (every page). */
export async function listAssignments(client: ApiClient, relationshipId: string, signal?: AbortSignal): Promise<GdapAssignment[]> {
  const url = `${client.graphEndpoint}/v1.0/tenantRelationships/delegatedAdminRelationships/${encodeURIComponent(relationshipId)}/accessAssignments`;
  const items = await graphCollection(client, url, signal);
  return items.map((item) => ({
    status: str(item.status) ?? "unknown",
    groupId: str((item.accessContainer as { accessContainerId?: unknown } | undefined)?.accessContainerId)?.toLowerCase() ?? "",
    roleIds: roleIds(item.accessDetails),
  }));
}

/** The ids of the groups the signed-in user belongs to, directly or not; undefined when Graph refuses (403). */
export async function myGroupIds(client: ApiClient, signal?: AbortSignal): Promise<Set<string> | undefined> {
  try {
    const items = await graphCollection(client, `${client.graphEndpoint}/v1.0/me/transitiveMemberOf?$select=id`, signal);
    return new Set(items.map((i) => str(i.id)?.toLowerCase()).filter((id): id is string => id !== undefined));
  } catch (error) {
    if (error instanceof ApiCallError && error.answer.status === 403) return undefined;
    throw error;
  }
}

/** True when the relationship gives access now (Graph's `active`, or `expiring` on the way to its end). */
export function isActive(relationship: GdapRelationship): boolean {
  return relationship.status === "active" || relationship.status === "expiring";
}

/** True when the relationship extends itself at its end (autoExtendDuration other than zero). */
export function autoExtends(relationship: GdapRelationship): boolean {
  const d = relationship.autoExtendDuration;
  return d !== undefined && !/^P(?:T0S|0D|T0M|T0H)$/i.test(d);
}
