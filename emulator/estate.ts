/**
 * The customer estate of the emulator: what each customer's state option (GDAP, consent, Partner Center listing,
 * Conditional Access, throttling) makes the services answer, the default estate with one customer in each
 * interesting state, and a generated estate of N healthy customers for scale.
 *
 * GDAP facts (learn.microsoft.com/partner-center/expiring-gdap-relationships-and-auto-extend-gdap): a relationship
 * lasts at most 2 years (`duration` P1D…P2Y), auto-extend adds 180 days (`autoExtendDuration` P180D, default PT0S);
 * an expired or terminated relationship grants nothing and cannot be restored. A partner user reaches a customer
 * only through an active relationship whose active access assignment names a security group the user is in.
 */
import type { EntraEmulator } from "./entra";
import type { DelegatedAdminRelationship, DelegatedAdminRelationshipStatus, GraphEmulator, SecurityGroup } from "./graph";
import { derivedGuid } from "./graph";
import type { PartnerCenterEmulator } from "./partner-center";

/** Directory Readers' role template id (Entra built-in roles reference). */
export const DIRECTORY_READERS_ROLE = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
const DAY_MS = 24 * 3600 * 1000;

/** A customer's GDAP relationship with the partner. */
export interface EmulatorGdapOptions {
  /** Graph's relationship status (default `active`). Only `active` and `expiring` grant access. */
  status?: DelegatedAdminRelationshipStatus;
  /** Days until `endDateTime` (negative: ended that long ago). Default 365 while active, -30 when expired or terminated. */
  endsInDays?: number;
  /** `autoExtendDuration` P180D instead of PT0S. Default false. */
  autoExtend?: boolean;
  /** Role template ids granted (relationship and access assignment). Default Directory Readers. */
  roles?: string[];
  /** The signed-in (first) user is a member of the access assignment's security group. Default true. */
  userInGroup?: boolean;
  /** Leave `endDateTime` out of Graph's answer — a malformed answer to test a client. Default false. */
  omitEndDateTime?: boolean;
}

/** The state of one customer (see docs/emulator-estate.md). */
export interface CustomerState {
  /** `true` = an active relationship with the defaults; false/absent = no relationship at all. */
  gdap?: boolean | EmulatorGdapOptions;
  /** A relationship exists (default: when `gdap` is set); false = listed in Partner Center with no relationship. */
  inGdap?: boolean;
  /** Consent: `true` = Graph `.default`; a list = those Graph scopes only (stale if fewer than customerGraphScopes). */
  consented?: boolean | string[];
  /** Listed by Partner Center's `GET /v1/customers` (default true); false = known through GDAP only. */
  inPartnerCenter?: boolean;
  /** The customer's token endpoint answers partner users with this AADSTS code (53003, 50177, 50076 …). */
  conditionalAccess?: number;
  /** Graph answers this tenant's next requests with 429 and Retry-After. */
  throttle?: { retryAfterSeconds: number; times?: number };
}

/** The services a customer's state is applied to. */
export interface EstateServices {
  entra: EntraEmulator;
  partnerCenter: PartnerCenterEmulator;
  graph: GraphEmulator;
  partnerTenantId: string;
  clientId: string;
  /** The signed-in (first) user. */
  user: { username: string; oid: string };
  /** Security groups by key, shared by customers with the same roles and membership. */
  groups: Map<string, SecurityGroup>;
}

/** Applies one customer's state to the services. */
export function applyCustomer(services: EstateServices, customer: { tenantId: string; domain: string; displayName: string }, state: CustomerState, index: number): void {
  const { entra, partnerCenter, graph } = services;
  if (state.inPartnerCenter ?? true) partnerCenter.addCustomer({ id: customer.tenantId, domain: customer.domain, companyName: customer.displayName });
  else entra.addTenant(customer.tenantId, { domains: [customer.domain], displayName: customer.displayName });
  graph.addTenant({ id: customer.tenantId, displayName: customer.displayName, domains: [customer.domain] });
  if (state.consented) entra.consentAppInTenant(customer.tenantId, services.clientId, state.consented === true ? [GRAPH_DEFAULT] : state.consented);
  if (state.conditionalAccess !== undefined) entra.setConditionalAccess(customer.tenantId, state.conditionalAccess);
  if (state.throttle) graph.throttle(customer.tenantId, state.throttle);
  if (!state.gdap || state.inGdap === false) return;
  const gdap: EmulatorGdapOptions = state.gdap === true ? {} : state.gdap;
  const relationship = gdapRelationship(services, customer, gdap, index);
  graph.addRelationship(services.partnerTenantId, relationship);
  const live = (relationship.status === "active" || relationship.status === "expiring") && Date.parse(relationship.endDateTime ?? "9999-12-31T00:00:00Z") > Date.now();
  if (live && (gdap.userInGroup ?? true)) entra.grantGdapRole(customer.tenantId, services.user.username, relationship.roles);
}

function gdapRelationship(services: EstateServices, customer: { tenantId: string; displayName: string }, gdap: EmulatorGdapOptions, index: number): DelegatedAdminRelationship {
  const status = gdap.status ?? "active";
  const ended = status === "expired" || status === "terminated";
  const endsInDays = gdap.endsInDays ?? (ended ? -30 : 365);
  const now = Date.now();
  const end = new Date(now + endsInDays * DAY_MS);
  const durationDays = 730;
  const activated = new Date(end.getTime() - durationDays * DAY_MS);
  const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");
  const roles = [...(gdap.roles ?? [DIRECTORY_READERS_ROLE])].map((r) => r.toLowerCase());
  const inGroup = gdap.userInGroup ?? true;
  const key = `${[...roles].sort().join(",")}|${inGroup ? "member" : "empty"}`;
  let group = services.groups.get(key);
  if (!group) {
    const n = services.groups.size + 1;
    group = services.graph.addGroup(services.partnerTenantId, {
      id: derivedGuid(`${services.partnerTenantId}|group|${key}`),
      displayName: inGroup ? `GDAP access ${n}` : `GDAP access ${n} (without the signed-in user)`,
      members: inGroup ? [services.user.oid.toLowerCase()] : [],
    });
    services.groups.set(key, group);
  }
  const created = iso(new Date(activated.getTime() - DAY_MS));
  const id = `${derivedGuid(`${services.partnerTenantId}|relationship|${customer.tenantId}|${index}`)}-${derivedGuid(`${customer.tenantId}|relationship|${index}`)}`;
  return {
    id,
    displayName: `GDAP ${customer.displayName}`.slice(0, 50),
    status,
    customer: { tenantId: customer.tenantId, displayName: customer.displayName },
    duration: `P${durationDays}D`,
    createdDateTime: created,
    activatedDateTime: status === "created" || status === "approvalPending" ? null : iso(activated),
    ...(gdap.omitEndDateTime ? {} : { endDateTime: iso(end) }),
    lastModifiedDateTime: iso(ended ? end : activated),
    autoExtendDuration: gdap.autoExtend ? "P180D" : "PT0S",
    roles,
    accessAssignments: [
      {
        id: derivedGuid(`${id}|assignment`),
        status: ended ? "deleted" : "active",
        groupId: group.id,
        roles,
        createdDateTime: iso(activated),
        lastModifiedDateTime: iso(activated),
      },
    ],
  };
}

/** A customer of the default estate: names, and the state it shows. */
export interface DefaultEstateCustomer extends CustomerState {
  displayName: string;
  domain: string;
}

/**
 * The default estate (`npm run emulator` and `npm run demo`): one customer in each interesting state. Consent
 * lists are Graph scope names; the stack's customerGraphScopes are {@link DEFAULT_CUSTOMER_GRAPH_SCOPES}.
 */
export function defaultEstate(): DefaultEstateCustomer[] {
  return [
    { displayName: "Fabrikam (healthy)", domain: "fabrikam.onmicrosoft.com", consented: true, gdap: { autoExtend: true } },
    { displayName: "Northwind (GDAP ends in 10 days)", domain: "northwind.onmicrosoft.com", consented: true, gdap: { endsInDays: 10, autoExtend: false } },
    { displayName: "Adatum (GDAP expired)", domain: "adatum.onmicrosoft.com", consented: true, gdap: { status: "expired", endsInDays: -20 } },
    { displayName: "Tailspin (consent stale)", domain: "tailspin.onmicrosoft.com", consented: ["User.Read.All"], gdap: { autoExtend: true } },
    { displayName: "Litware (no consent)", domain: "litware.onmicrosoft.com", consented: false, gdap: { autoExtend: true } },
    { displayName: "Woodgrove (Conditional Access blocks)", domain: "woodgrove.onmicrosoft.com", consented: true, gdap: { autoExtend: true }, conditionalAccess: 53003 },
    { displayName: "Proseware (user not in the group)", domain: "proseware.onmicrosoft.com", consented: true, gdap: { autoExtend: true, userInGroup: false } },
    { displayName: "Wingtip (GDAP only)", domain: "wingtip.onmicrosoft.com", consented: true, gdap: { autoExtend: true }, inPartnerCenter: false },
    { displayName: "Coho (no GDAP relationship)", domain: "coho.onmicrosoft.com", consented: true, inGdap: false },
  ];
}

/** The stack's customerGraphScopes in an emulator with customers (unless `startEmulator` is told otherwise). */
export const DEFAULT_CUSTOMER_GRAPH_SCOPES = ["User.Read.All", "Directory.Read.All"];

/** `count` healthy customers (consented, active GDAP with auto-extend), for scale. */
export function generatedEstate(count: number): CustomerState[] {
  return Array.from({ length: count }, () => ({ consented: true, gdap: { autoExtend: true } }));
}
