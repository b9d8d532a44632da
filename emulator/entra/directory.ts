/**
 * The directory: tenants (ids and verified domains), app registrations, users,
 * resources and their scopes, user / admin / tenant-wide consent and GDAP roles,
 * and the lookups the endpoints use.
 */
import { randomUUID } from "node:crypto";
import { registeredCertificate } from "./client-assertion";
import { OAuthError, unknownResource } from "./errors";
import { parseScope, type EntraState, type Resource, type StoredApp } from "./state";
import type { AddTenantOptions, AddUserOptions, EntraApp, EntraUser, RegisterAppOptions } from "./types";

/** Adds a tenant (registerApp and addUser add theirs implicitly). The first one hosts the managed identity. */
export function addTenant(s: EntraState, tenantId: string, options: AddTenantOptions = {}): void {
  const id = tenantId.toLowerCase();
  let tenant = s.tenants.get(id);
  if (!tenant) {
    tenant = { id, displayName: options.displayName ?? id, domains: new Set(), appConsents: new Map(), gdap: new Map() };
    s.tenants.set(id, tenant);
  }
  if (options.displayName) tenant.displayName = options.displayName;
  for (const domain of options.domains ?? []) tenant.domains.add(domain.toLowerCase());
  s.managedIdentityTenant ??= id;
}

/** The tenant id for an id or a verified domain, as Entra resolves the authority path; undefined when unknown. */
export function resolveTenant(s: EntraState, idOrDomain: string): string | undefined {
  const key = idOrDomain.toLowerCase();
  if (s.tenants.has(key)) return key;
  for (const tenant of s.tenants.values()) if (tenant.domains.has(key)) return tenant.id;
  return undefined;
}

/**
 * Puts a multi-tenant app into a customer tenant with delegated scopes granted
 * for the whole tenant (what Partner Center's applicationconsents does, and an
 * admin consent in that tenant). Scopes are full (`https://graph.microsoft.com/User.Read`,
 * `…/.default`) or bare Graph names (`User.Read`). Replaces an earlier consent.
 */
export function consentAppInTenant(s: EntraState, tenantId: string, clientId: string, scopes: string[]): void {
  const tenant = s.tenants.get(resolveTenant(s, tenantId) ?? "");
  const app = s.apps.get(clientId.toLowerCase());
  if (!tenant) throw new Error(`consentAppInTenant: unknown tenant ${tenantId}`);
  if (!app) throw new Error(`consentAppInTenant: unknown app ${clientId}`);
  tenant.appConsents.set(app.clientId, new Set(consentEntries(s, scopes)));
}

/** The scopes an app was consented to in a tenant (full scope strings), or undefined when it is not there. */
export function appConsentInTenant(s: EntraState, tenantId: string, clientId: string): string[] | undefined {
  const consent = s.tenants.get(resolveTenant(s, tenantId) ?? "")?.appConsents.get(clientId.toLowerCase());
  return consent && [...consent];
}

/** Removes an app from a customer tenant (its tokens there fail with AADSTS700016 again). True if it was there. */
export function revokeAppConsentInTenant(s: EntraState, tenantId: string, clientId: string): boolean {
  return s.tenants.get(resolveTenant(s, tenantId) ?? "")?.appConsents.delete(clientId.toLowerCase()) ?? false;
}

/**
 * Gives a partner user (by UPN) a GDAP role in a customer tenant: an active
 * GDAP relationship whose security group, with `roles`, has the user as a member.
 */
export function grantGdapRole(s: EntraState, customerTenantId: string, username: string, roles: string[] = ["Directory Readers"]): void {
  const tenant = s.tenants.get(resolveTenant(s, customerTenantId) ?? "");
  if (!tenant) throw new Error(`grantGdapRole: unknown tenant ${customerTenantId}`);
  tenant.gdap.set(username.toLowerCase(), [...roles]);
}

/** Takes a partner user's GDAP roles in a customer tenant away (relationship ended or removed from the group). */
export function revokeGdapRole(s: EntraState, customerTenantId: string, username: string): boolean {
  return s.tenants.get(resolveTenant(s, customerTenantId) ?? "")?.gdap.delete(username.toLowerCase()) ?? false;
}

/**
 * The customer tenant's Conditional Access (or cross-tenant access settings) answers the partner's users with
 * this AADSTS code at its token endpoint; undefined removes the policy.
 */
export function setConditionalAccess(s: EntraState, tenantId: string, code: number | undefined): void {
  const tenant = s.tenants.get(resolveTenant(s, tenantId) ?? "");
  if (!tenant) throw new Error(`setConditionalAccess: unknown tenant ${tenantId}`);
  tenant.conditionalAccess = code;
}

/**
 * Makes `alias` (an identifier URI, e.g. the emulated Graph's own origin) name the same resource as `target`,
 * as one service principal has several servicePrincipalNames: scopes `${alias}/…` are that resource's scopes
 * and its tokens carry the resource's own `aud`.
 */
export function registerResourceAlias(s: EntraState, alias: string, target: string): void {
  const resource = findResource(s, target);
  if (!resource) throw new Error(`registerResourceAlias: unknown resource ${target}`);
  s.resources.set(alias.replace(/\/+$/, "").toLowerCase(), resource);
}

/** Registers a confidential client in a tenant. */
export function registerApp(s: EntraState, options: RegisterAppOptions): EntraApp {
  addTenant(s, options.tenantId);
  const app: StoredApp = {
    tenantId: options.tenantId.toLowerCase(),
    clientId: options.clientId.toLowerCase(),
    displayName: options.displayName ?? "Partner Center SAM",
    applicationObjectId: options.applicationObjectId ?? randomUUID(),
    servicePrincipalObjectId: options.servicePrincipalObjectId ?? randomUUID(),
    redirectUris: [...options.redirectUris],
    secret: options.clientSecret ?? "",
    certificates: (options.certificates ?? []).map(registeredCertificate),
    expiredSecrets: [],
    adminConsented: new Set((options.adminConsentedScopes ?? []).map((scope) => normalizeScope(s, scope))),
    multiTenant: options.multiTenant ?? false,
  };
  s.apps.set(app.clientId, app);
  return publicApp(app);
}

/** The registered app with this client id (secret excluded). */
export function findApp(s: EntraState, clientId: string): EntraApp | undefined {
  const app = s.apps.get(clientId.toLowerCase());
  return app && publicApp(app);
}

/** Changes an app's sign-in audience (multi-tenant or not), as `pulumi up` with `multiTenant` does. */
export function setMultiTenant(s: EntraState, clientId: string, multiTenant: boolean): void {
  const app = s.apps.get(clientId.toLowerCase());
  if (!app) throw new Error(`no app ${clientId}`);
  app.multiTenant = multiTenant;
}

/** Replaces an app's client secret (the old one stops working at once). */
export function setClientSecret(s: EntraState, clientId: string, newSecret: string): void {
  const app = s.apps.get(clientId.toLowerCase());
  if (!app) throw new Error(`no app ${clientId}`);
  app.secret = newSecret;
  app.expiredSecrets = app.expiredSecrets.filter((s) => s !== newSecret);
}

/**
 * The app's current client secret passes its end date: token requests that
 * present it get 401 invalid_client AADSTS7000222 from now on. `replacement`
 * becomes the valid secret (as `pulumi up` adds one); without it none is valid.
 */
export function expireClientSecret(s: EntraState, clientId: string, replacement?: string): void {
  const app = s.apps.get(clientId.toLowerCase());
  if (!app) throw new Error(`no app ${clientId}`);
  app.expiredSecrets.push(app.secret);
  app.secret = replacement ?? "";
}

/**
 * Registers a certificate (PEM) on an app as a key credential, as `pulumi up`
 * does when it rotates the certificate; the app's other certificates stay valid.
 */
export function addAppCertificate(s: EntraState, clientId: string, certificatePem: string): void {
  const app = s.apps.get(clientId.toLowerCase());
  if (!app) throw new Error(`no app ${clientId}`);
  app.certificates.push(registeredCertificate(certificatePem));
}

/** Removes a certificate (PEM) from an app's key credentials; assertions signed with its key then fail with AADSTS700027. */
export function removeAppCertificate(s: EntraState, clientId: string, certificatePem: string): boolean {
  const app = s.apps.get(clientId.toLowerCase());
  if (!app) throw new Error(`no app ${clientId}`);
  const { x5tS256 } = registeredCertificate(certificatePem);
  const before = app.certificates.length;
  app.certificates = app.certificates.filter((c) => c.x5tS256 !== x5tS256);
  return app.certificates.length < before;
}

/** Adds a user to a tenant. */
export function addUser(s: EntraState, options: AddUserOptions): EntraUser {
  addTenant(s, options.tenantId);
  const user: EntraUser = {
    tenantId: options.tenantId.toLowerCase(),
    username: options.username,
    password: options.password,
    mfa: options.mfa,
    mfaCode: options.mfaCode ?? String(100000 + Math.floor(Math.random() * 900000)),
    displayName: options.displayName ?? options.username.split("@")[0],
    oid: options.oid ?? randomUUID(),
    ...(options.amr ? { amr: [...options.amr] } : {}),
  };
  s.users.set(`${user.tenantId}|${user.username.toLowerCase()}`, user);
  return { ...user };
}

/**
 * Makes a resource (an API's identifier URI, e.g. `https://localhost:1234`)
 * known to every tenant, with its delegated scope names (none = any name).
 * Microsoft Graph is known from the start.
 */
export function registerResource(s: EntraState, resource: string, scopes: string[] = []): void {
  const id = resource.replace(/\/+$/, "");
  s.resources.set(id.toLowerCase(), { id, scopes: new Set(scopes) });
}

export function findUser(s: EntraState, tenantId: string, username: string): EntraUser | undefined {
  return s.users.get(`${tenantId.toLowerCase()}|${username.toLowerCase()}`);
}

export function findResource(s: EntraState, resource: string): Resource | undefined {
  return s.resources.get(resource.replace(/\/+$/, "").toLowerCase());
}

export function normalizeScope(s: EntraState, scope: string): string {
  const parsed = parseScope(scope);
  const resource = findResource(s, parsed.resource);
  return `${(resource?.id ?? parsed.resource).toLowerCase()}/${parsed.name}`;
}

/** Validates API scopes (not OIDC ones): known resource, known scope name. */
export function checkScopes(s: EntraState, tenantId: string, scopes: string[]): OAuthError | undefined {
  for (const raw of scopes) {
    const parsed = parseScope(raw);
    const resource = findResource(s, parsed.resource);
    if (!resource) return unknownResource(tenantId, parsed.resource);
    if (parsed.name !== ".default" && resource.scopes.size && !resource.scopes.has(parsed.name)) {
      return new OAuthError(400, "invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${raw} is not valid.`);
    }
  }
  return undefined;
}

export function recordConsent(s: EntraState, app: StoredApp, user: EntraUser, scopes: string[]): void {
  const key = `${app.clientId}|${user.oid}`;
  const set = s.consents.get(key) ?? new Set<string>();
  for (const entry of consentEntries(s, scopes)) set.add(entry);
  s.consents.set(key, set);
}

/** Consent entries (`<resource>/<name>`, lower-case resource) for scopes; `.default` means every scope of a known resource. */
export function consentEntries(s: EntraState, scopes: string[]): string[] {
  const entries: string[] = [];
  for (const raw of scopes) {
    const parsed = parseScope(raw);
    const resource = findResource(s, parsed.resource);
    if (!resource) continue;
    const names = parsed.name === ".default" ? (resource.scopes.size ? [...resource.scopes] : [".default"]) : [parsed.name];
    for (const n of names) entries.push(`${resource.id.toLowerCase()}/${n}`);
  }
  return entries;
}

/** True when the app may get tokens in `tenantId`: its own tenant, or a tenant it was consented into while multi-tenant. */
export function appKnownIn(s: EntraState, app: StoredApp, tenantId: string): boolean {
  return app.tenantId === tenantId || (app.multiTenant && !!s.tenants.get(tenantId)?.appConsents.has(app.clientId));
}

export function consentedScopeNames(s: EntraState, app: StoredApp, user: EntraUser, resource: Resource, tenantId: string): Set<string> {
  const prefix = `${resource.id.toLowerCase()}/`;
  const names = new Set<string>();
  // In a customer tenant only that tenant's consent counts, not the user's or admin's consent at home.
  const all = tenantId === app.tenantId ? [...(s.consents.get(`${app.clientId}|${user.oid}`) ?? []), ...app.adminConsented] : [...(s.tenants.get(tenantId)?.appConsents.get(app.clientId) ?? [])];
  for (const entry of all) {
    if (!entry.startsWith(prefix)) continue;
    const name = entry.slice(prefix.length);
    if (name === ".default") resource.scopes.forEach((n) => names.add(n));
    names.add(name);
  }
  return names;
}

export function publicApp(app: StoredApp): EntraApp {
  const { secret: _secret, adminConsented: _consented, expiredSecrets: _expired, certificates: _certificates, ...rest } = app;
  void _secret;
  void _certificates;
  void _consented;
  void _expired;
  return { ...rest, redirectUris: [...rest.redirectUris] };
}
