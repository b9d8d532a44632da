/**
 * What `partner-center-sam customers` reports per customer, and how the verdict
 * and the one next step follow from it. The field names are the `--json` and
 * `--ndjson` output (documented in docs/customers.md): keep them stable.
 */
import { ApiCallError } from "../partner-center/api-client";
import { SamError } from "../core/errors";

/** The verdict of one customer, from best to worst. */
export type Verdict = "ok" | "attention" | "broken";
export const VERDICTS: readonly Verdict[] = ["ok", "attention", "broken"];

/** How the customer tenant answered the token request. */
export type AccessState = "ok" | "consent_missing" | "no_gdap_role" | "conditional_access" | "tenant_not_found" | "throttled" | "other";

/** The app's consent in the customer tenant, compared with the stack's customerGraphScopes. */
export type ConsentState = "current" | "stale" | "missing" | "unknown";

/** One GDAP relationship as reported. */
export interface RelationshipReport {
  id: string;
  displayName: string;
  status: string;
  endDateTime: string | null;
  /** Whole days until endDateTime (negative once passed); null without endDateTime. */
  daysLeft: number | null;
  autoExtendDuration: string | null;
  autoExtend: boolean;
  /** Roles granted through the relationship's active access assignments. */
  roles: Array<{ id: string; name: string }>;
  /** Whether the bootstrap user is in a security group holding those roles; null when it could not be read. */
  userInGroup: boolean | null;
}

/** One customer's health. */
export interface CustomerHealth {
  tenantId: string;
  displayName: string;
  domain: string | null;
  inPartnerCenter: boolean;
  verdict: Verdict;
  /** The one step that fixes the most important problem; null when ok. */
  nextStep: string | null;
  /** Every problem found, most important first. */
  problems: string[];
  gdap: {
    /** False when the relationships could not be read (see the sweep's gdapUnavailable). */
    checked: boolean;
    relationships: RelationshipReport[];
    /** Names of config gdapRoles no active assignment grants. */
    missingRoles: string[];
  };
  consent: { state: ConsentState; grantedScopes: string[]; missingScopes: string[] };
  access: { state: AccessState; code: string | null; aadsts: string | null; correlationId: string | null; message: string | null };
}

/** Entra numbers of the customer's policy (Conditional Access, MFA, compliance, cross-tenant access) in a customer tenant. */
export const CUSTOMER_POLICY_AADSTS = new Set(["50177", "53003", "50076", "50079", "50078", "50178", "90072", "500213", "530034", "53000", "53001", "53002", "50158"]);

/** Classifies the error of a customer-tenant token request (or a Graph call) into an {@link AccessState}. */
export function classifyAccess(error: unknown): CustomerHealth["access"] {
  const code = error instanceof SamError ? error.code : null;
  const aadsts = error instanceof SamError ? (error.aadsts ?? null) : null;
  const cause = error instanceof SamError ? (error.cause as { correlationId?: unknown } | undefined) : undefined;
  const correlationId = typeof cause?.correlationId === "string" && cause.correlationId ? cause.correlationId : error instanceof ApiCallError ? error.answer.correlationId : null;
  const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 300) : String(error).slice(0, 300);
  const state: AccessState =
    code === "customer_consent_missing"
      ? "consent_missing"
      : code === "gdap_access_missing"
        ? "no_gdap_role"
        : code === "tenant_not_found"
          ? "tenant_not_found"
          : (aadsts !== null && CUSTOMER_POLICY_AADSTS.has(aadsts)) || /^customer_(conditional_access|service_provider|mfa|cross_tenant|admin_risk)/.test(code ?? "")
            ? "conditional_access"
            : (error instanceof ApiCallError && error.answer.status === 429) || aadsts === "50196" || /throttl/.test(code ?? "")
              ? "throttled"
              : "other";
  return { state, code, aadsts, correlationId, message };
}

/** What the verdict needs besides the customer's reports. */
export interface VerdictInput {
  tenantId: string;
  displayName: string;
  gdap: CustomerHealth["gdap"];
  consent: CustomerHealth["consent"];
  access: CustomerHealth["access"];
  warnDays: number;
}

/** The verdict, the next step and every problem, most important first. */
export function judge(input: VerdictInput): Pick<CustomerHealth, "verdict" | "nextStep" | "problems"> {
  const broken: string[] = [];
  const attention: string[] = [];
  const { tenantId, gdap, consent, access } = input;
  const who = `${input.displayName} (${tenantId})`;
  const active = gdap.relationships.filter((r) => r.status === "active" || r.status === "expiring");
  if (access.state === "tenant_not_found") broken.push(`Entra ID does not know the tenant ${tenantId}: check the id in Partner Center, or leave it out with --exclude ${tenantId} (or config customerExclude).`);
  if (gdap.checked && active.length === 0) {
    const ended = gdap.relationships.find((r) => r.status === "expired" || r.status === "terminated");
    broken.push(
      ended
        ? `The GDAP relationship "${ended.displayName}" is ${ended.status}${ended.endDateTime ? ` since ${ended.endDateTime.slice(0, 10)}` : ""} and cannot be restored: create a new GDAP relationship for ${who} in Partner Center and have the customer's admin approve it.`
        : `No active GDAP relationship with ${who}: create one in Partner Center (Customers → Admin relationships) and have the customer's admin approve it.`,
    );
  }
  if (access.state === "consent_missing") broken.push(`The app is not consented in ${who}: run \`partner-center-sam consent --customer ${tenantId}\`.`);
  if (access.state === "no_gdap_role" && active.length > 0 && active.every((r) => r.userInGroup === false)) {
    broken.push(`The bootstrap user has no GDAP role in ${who}: it is in none of the security groups the active relationship's access assignments name; add the user to one of them in your tenant.`);
  } else if (access.state === "no_gdap_role") {
    broken.push(`The bootstrap user has no GDAP role in ${who}: in Partner Center, assign the relationship's roles to a security group of your tenant (access assignments) and add the bootstrap user to that group.`);
  }
  if (access.state === "conditional_access") {
    broken.push(
      `The customer's own policy blocks the partner user in ${who}${access.aadsts ? ` (AADSTS${access.aadsts})` : ""}: ask the customer's admin to allow service-provider users in their Conditional Access or cross-tenant access settings. Signing in again on your side does not change this.`,
    );
  }
  if (access.state === "other") broken.push(`${who} gave no token${access.aadsts ? ` (AADSTS${access.aadsts}` : " ("}${access.correlationId ? `${access.aadsts ? ", " : ""}correlation id ${access.correlationId}` : ""}): ${access.message ?? "unknown error"}`.replace(" ()", ""));
  if (access.state === "throttled") attention.push(`Entra ID or Microsoft Graph throttled the requests for ${who}: run the sweep again later (or with a lower --concurrency).`);
  if (consent.state === "stale") {
    attention.push(`The app's consent in ${who} lacks ${consent.missingScopes.join(", ")}: run \`partner-center-sam consent --customer ${tenantId} --replace\`.`);
  }
  for (const r of active) {
    if (r.daysLeft === null) attention.push(`Microsoft Graph returned the GDAP relationship "${r.displayName}" without an endDateTime, so its end cannot be checked: look it up in Partner Center.`);
    else if (!r.autoExtend && r.daysLeft <= input.warnDays) {
      attention.push(`The GDAP relationship "${r.displayName}" ends on ${r.endDateTime!.slice(0, 10)} (in ${Math.max(0, r.daysLeft)} days) without auto-extend: turn on auto-extend (P180D) in Partner Center, or create a new relationship and have the customer approve it before then.`);
    }
  }
  if (gdap.missingRoles.length > 0 && active.length > 0) {
    attention.push(`No active access assignment in ${who} grants ${gdap.missingRoles.join(", ")} (config gdapRoles): add them to a security group's access assignment (a new relationship if the relationship does not include them).`);
  }
  if (active.length > 0 && active.every((r) => r.userInGroup === false) && access.state === "ok") {
    attention.push(`The bootstrap user is in none of the security groups holding ${who}'s GDAP roles: add the user to one of them.`);
  }
  const problems = [...broken, ...attention];
  return { verdict: broken.length ? "broken" : attention.length ? "attention" : "ok", nextStep: problems[0] ?? null, problems };
}

/** Whole days from `now` to `iso` (negative once passed), or null when `iso` is missing or not a date. */
export function daysUntil(iso: string | undefined, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.ceil((t - now) / 86_400_000);
}
