/**
 * Graph's JSON for the resources the stand-in serves, field for field as Microsoft's v1.0 reference shows them:
 * delegatedAdminRelationship and delegatedAdminAccessAssignment (microsoftgraph/microsoft-graph-docs-contrib
 * `api-reference/v1.0/resources/delegatedadminrelationship.md`, `…/delegatedadminaccessassignment.md`,
 * `api/delegatedadminrelationship-list-accessassignments.md`), group, organization, user, domain and subscribedSku.
 * Users and SKUs of a tenant are made up from its id, the same on every call.
 */
import { createHash } from "node:crypto";
import { GraphError } from "./errors";
import type { AccessAssignment, DelegatedAdminRelationship, GraphTenant, SecurityGroup } from "./types";

/** A GUID derived from text (stable made-up ids). */
export function derivedGuid(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const etag = (text: string): string => `W/"${Buffer.from(`"${createHash("sha1").update(text).digest("hex").slice(0, 24)}"`).toString("base64")}"`;

export function relationshipJson(r: DelegatedAdminRelationship): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.delegatedAdminRelationship",
    "@odata.etag": etag(`${r.id}|${r.lastModifiedDateTime}|${r.status}`),
    id: r.id,
    displayName: r.displayName,
    duration: r.duration,
    status: r.status,
    autoExtendDuration: r.autoExtendDuration,
    createdDateTime: r.createdDateTime,
    activatedDateTime: r.activatedDateTime,
    lastModifiedDateTime: r.lastModifiedDateTime,
    ...(r.endDateTime === undefined ? {} : { endDateTime: r.endDateTime }),
    customer: { tenantId: r.customer.tenantId, displayName: r.customer.displayName },
    accessDetails: { unifiedRoles: r.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
  };
}

export function accessAssignmentJson(a: AccessAssignment): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment",
    "@odata.etag": etag(`${a.id}|${a.lastModifiedDateTime}|${a.status}`),
    id: a.id,
    status: a.status,
    createdDateTime: a.createdDateTime,
    lastModifiedDateTime: a.lastModifiedDateTime,
    accessContainer: { accessContainerId: a.groupId, accessContainerType: "securityGroup" },
    accessDetails: { unifiedRoles: a.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
  };
}

/** A group as `/me/memberOf` lists it (a `directoryObject` typed `#microsoft.graph.group`). */
export function groupJson(g: SecurityGroup): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.group",
    id: g.id,
    displayName: g.displayName,
    description: null,
    groupTypes: [],
    mail: null,
    mailEnabled: false,
    mailNickname: g.displayName.replace(/[^A-Za-z0-9]/g, "").slice(0, 64) || "group",
    securityEnabled: true,
    visibility: null,
  };
}

export function organizationJson(t: GraphTenant): Record<string, unknown> {
  return {
    id: t.id,
    displayName: t.displayName,
    tenantType: "AAD",
    countryLetterCode: "US",
    preferredLanguage: "en",
    createdDateTime: "2019-01-01T00:00:00Z",
    verifiedDomains: t.domains.map((name, i) => ({ capabilities: "Email, OfficeCommunicationsOnline", isDefault: i === 0, isInitial: name.endsWith(".onmicrosoft.com"), name, type: "Managed" })),
  };
}

export function usersOf(t: GraphTenant): Array<Record<string, unknown>> {
  return Array.from({ length: t.userCount }, (_, i) => {
    const name = `user${String(i + 1).padStart(4, "0")}`;
    const upn = `${name}@${t.domains[0] ?? `${t.id}.onmicrosoft.com`}`;
    return {
      businessPhones: [],
      displayName: `User ${i + 1}`,
      givenName: "User",
      jobTitle: null,
      mail: upn,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: "en-US",
      surname: String(i + 1),
      userPrincipalName: upn,
      id: derivedGuid(`${t.id}|user|${i}`),
    };
  });
}

export function domainsOf(t: GraphTenant): Array<Record<string, unknown>> {
  return t.domains.map((id, i) => ({
    authenticationType: "Managed",
    availabilityStatus: null,
    id,
    isAdminManaged: true,
    isDefault: i === 0,
    isInitial: id.endsWith(".onmicrosoft.com"),
    isRoot: true,
    isVerified: true,
    supportedServices: ["Email", "OfficeCommunicationsOnline"],
    passwordValidityPeriodInDays: 2147483647,
    passwordNotificationWindowInDays: 14,
  }));
}

/** Microsoft 365 E3 and a few others, by their real SKU ids and part numbers. */
const SKUS = [
  { skuId: "05e9a617-0261-4cee-bb44-138d3ef5d965", skuPartNumber: "SPE_E3" },
  { skuId: "f30db892-07e9-47e9-837c-80727f46fd3d", skuPartNumber: "FLOW_FREE" },
  { skuId: "4b9405b0-7788-4568-add1-99614e613b69", skuPartNumber: "EXCHANGESTANDARD" },
];

export function subscribedSkusOf(t: GraphTenant): Array<Record<string, unknown>> {
  return SKUS.slice(0, Math.max(0, Math.min(t.skuCount, SKUS.length))).map((sku) => ({
    accountId: t.id,
    accountName: t.displayName,
    appliesTo: "User",
    capabilityStatus: "Enabled",
    consumedUnits: Math.min(t.userCount, 25),
    id: `${t.id}_${sku.skuId}`,
    skuId: sku.skuId,
    skuPartNumber: sku.skuPartNumber,
    subscriptionIds: [derivedGuid(`${t.id}|sub|${sku.skuId}`)],
    prepaidUnits: { enabled: 25, suspended: 0, warning: 0, lockedOut: 0 },
    servicePlans: [],
  }));
}

/**
 * The `$filter` clauses the stand-in understands: `<property> eq '<value>'` joined by `and`, over a path such as
 * `status` or `customer/tenantId` (what CIPP's `Get-Tenants.ps1` sends: `status eq 'active'`). Anything else is
 * a 400 as Graph gives for an unsupported filter.
 */
export function parseFilter(filter: string | null): (item: Record<string, unknown>) => boolean {
  if (filter === null || filter.trim() === "") return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*([A-Za-z]+(?:\/[A-Za-z]+)?)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(clause);
    if (!m) throw new GraphError(400, "BadRequest", `Invalid filter clause: ${clause.trim()}`);
    return { path: m[1]!.split("/"), value: m[2]!.replace(/''/g, "'").toLowerCase() };
  });
  return (item) =>
    clauses.every(({ path, value }) => {
      let v: unknown = item;
      for (const key of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
      return typeof v === "string" && v.toLowerCase() === value;
    });
}
