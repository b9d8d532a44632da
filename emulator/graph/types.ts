/**
 * The Microsoft Graph stand-in's public shapes: GDAP relationships and their access assignments, security groups
 * of the partner tenant, tenants (organization, users, domains, subscribed SKUs), throttling and the call log.
 *
 * Field names are Graph's (learn.microsoft.com/graph/api/resources/delegatedadminrelationship,
 * …/delegatedadminaccessassignment, …/organization, …/user, …/domain, …/subscribedsku).
 */
import type { ServerTls } from "../http";
import type { EntraEmulator } from "../entra";

/** Options of `GraphEmulator`. */
export interface GraphEmulatorOptions {
  tls: ServerTls;
  entra: EntraEmulator;
}

/**
 * Graph's `delegatedAdminRelationshipStatus` values (microsoftgraph/msgraph-cli
 * `DelegatedAdminRelationshipStatus.cs`; Graph reference: activating, active, approvalPending, approved, created,
 * expired, expiring, terminated, terminating, terminationRequested, unknownFutureValue).
 */
export type DelegatedAdminRelationshipStatus =
  | "activating"
  | "active"
  | "approvalPending"
  | "approved"
  | "created"
  | "expired"
  | "expiring"
  | "terminated"
  | "terminating"
  | "terminationRequested";

/** `delegatedAdminAccessAssignmentStatus` values (Graph reference). */
export type DelegatedAdminAccessAssignmentStatus = "pending" | "active" | "deleting" | "deleted" | "error";

/** An access assignment of a relationship: a security group of the partner tenant and the roles it holds. */
export interface AccessAssignment {
  id: string;
  status: DelegatedAdminAccessAssignmentStatus;
  /** The security group's object id (`accessContainer.accessContainerId`). */
  groupId: string;
  /** Role template ids (`accessDetails.unifiedRoles[].roleDefinitionId`). */
  roles: string[];
  createdDateTime: string;
  lastModifiedDateTime: string;
}

/** A GDAP relationship of the partner with a customer (`delegatedAdminRelationship`). */
export interface DelegatedAdminRelationship {
  /** Graph's ids look like two GUIDs joined by a dash. */
  id: string;
  displayName: string;
  status: DelegatedAdminRelationshipStatus;
  customer: { tenantId: string; displayName: string };
  /** ISO 8601 duration, P1D to P2Y (e.g. `P730D`). */
  duration: string;
  createdDateTime: string;
  activatedDateTime: string | null;
  /** Absent only to test a client against a malformed answer (Graph always sends it). */
  endDateTime?: string | null;
  lastModifiedDateTime: string;
  /** `PT0S` (no auto-extend, Graph's default) or `P180D`. */
  autoExtendDuration: string;
  /** Role template ids the relationship grants (`accessDetails.unifiedRoles[].roleDefinitionId`). */
  roles: string[];
  accessAssignments: AccessAssignment[];
}

/** A security group of the partner tenant (an access container). */
export interface SecurityGroup {
  id: string;
  displayName: string;
  /** Object ids (`oid`) of the members. */
  members: Set<string>;
}

/** A tenant as Graph's `/organization`, `/users`, `/domains` and `/subscribedSkus` show it. */
export interface GraphTenant {
  id: string;
  displayName: string;
  /** Verified domains; the first is the default. */
  domains: string[];
  /** How many users `/users` lists (made up from the tenant id when listed). Default 3. */
  userCount: number;
  /** How many subscribed SKUs `/subscribedSkus` lists. Default 1. */
  skuCount: number;
}

/** Throttling of one tenant: its next `times` requests get 429 with `Retry-After: retryAfterSeconds`. */
export interface GraphThrottle {
  retryAfterSeconds: number;
  /** How many requests are refused (default 1). */
  times?: number;
}

/** One Graph call, without any token. */
export interface GraphCall {
  method: string;
  path: string;
  search: string;
  status: number;
  /** `tid` of the token, when it verified. */
  tenantId?: string;
  /** `upn` of the token, when it verified. */
  user?: string;
  /** Graph's `request-id` of the answer, and the `client-request-id` the caller sent (or Graph made). */
  requestId: string;
  clientRequestId: string;
  /** Graph's error code when the call failed, e.g. `Authorization_RequestDenied`. */
  code?: string;
}
