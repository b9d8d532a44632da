/**
 * The stand-in's shared internal state — directory, sessions, codes, refresh
 * tokens, faults, clock — with its stored shapes, constants and the small pure
 * helpers (hashing, scope parsing) every other module of the stand-in uses.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { randomToken } from "../http";
import { createSigningKey, type SigningKey } from "../jwt";
import type { RegisteredCertificate } from "./client-assertion";
import type { AuthorizeFault, EntraApp, EntraUser, ManagedIdentityRequestRecord, TokenFault, TokenRequestRecord } from "./types";

export const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
export const GRAPH = "https://graph.microsoft.com";
/**
 * The Graph delegated scopes the stand-in knows (`.default` grants all of them). Includes what the estate's
 * endpoints need (learn.microsoft.com/graph/permissions-reference): DelegatedAdminRelationship.* for GDAP,
 * User.*, Domain.Read.All, Organization.Read.All, LicenseAssignment.Read.All, GroupMember.Read.All.
 */
export const GRAPH_SCOPES = [
  "User.Read",
  "Directory.Read.All",
  "Directory.AccessAsUser.All",
  "Application.Read.All",
  "DelegatedAdminRelationship.Read.All",
  "DelegatedAdminRelationship.ReadWrite.All",
  "User.Read.All",
  "User.ReadBasic.All",
  "Domain.Read.All",
  "Organization.Read.All",
  "LicenseAssignment.Read.All",
  "GroupMember.Read.All",
  "Group.Read.All",
];
export const CODE_LIFETIME_SECONDS = 600;
export const REFRESH_INACTIVITY_SECONDS = 90 * 24 * 3600;
export const SESSION_LIFETIME_SECONDS = 900;
export const MSI_API_VERSION = "2019-08-01";
export const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface Tenant {
  id: string;
  displayName: string;
  /** Verified domains, lower case. */
  domains: Set<string>;
  /** Apps from other tenants consented here (their service principal exists), with the delegated scopes granted tenant-wide. */
  appConsents: Map<string, Set<string>>;
  /** Users of other tenants (lower-case UPN) holding a GDAP role here, with the roles. */
  gdap: Map<string, string[]>;
  /**
   * The AADSTS code this tenant's Conditional Access / cross-tenant access settings answer partner
   * (service-provider) users with, e.g. 53003 or 50177; undefined = no such policy.
   */
  conditionalAccess?: number;
}

export interface StoredApp extends EntraApp {
  /** The client secret; "" when the app has none (a certificate-only app). */
  secret: string;
  /** Registered certificates (key credentials): what client assertions are checked against. */
  certificates: RegisteredCertificate[];
  /** Secrets whose end date has passed (AADSTS7000222). */
  expiredSecrets: string[];
  adminConsented: Set<string>;
  multiTenant: boolean;
}

export interface Resource {
  id: string;
  /** Delegated scope names; empty = any name is accepted. */
  scopes: Set<string>;
}

export interface ParsedScope {
  raw: string;
  resource: string;
  name: string;
}

export interface AuthSession {
  id: string;
  tenantId: string;
  app: StoredApp;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scopes: string[];
  codeChallenge: string;
  responseMode: "query" | "form_post";
  loginHint?: string;
  clientInfo: boolean;
  step: "login" | "mfa" | "consent" | "done";
  user?: EntraUser;
  expiresAt: number;
  /** The authorize URL that opened the session. */
  authorizeUrl: string;
}

export interface AuthCode {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  nonce?: string;
  user: EntraUser;
  amr: string[];
  authTime: number;
  expiresAt: number;
  redeemed: boolean;
}

export interface RefreshTokenRecord {
  /** The user's (and app's) home tenant. */
  tenantId: string;
  /** The tenant whose token endpoint issued it (a customer tenant for a GDAP redemption). */
  issuedIn: string;
  clientId: string;
  user: EntraUser;
  amr: string[];
  authTime: number;
  issuedAt: number;
  lastUsedAt: number;
  /** Successful redemptions of this token. */
  uses: number;
  failure?: TokenFault;
}

/** What the modules read and write of the public `EntraEmulator` itself (its url, settings and records). */
export interface EntraSettings {
  readonly url: string;
  /** Where the authorize endpoint and its pages are served: {@link url}, or the plain-HTTP address. */
  readonly signInPagesUrl: string;
  readonly accessTokenLifetimeSeconds: number;
  readonly singleUseRefreshTokens: boolean;
  readonly tokenRequests: TokenRequestRecord[];
  readonly managedIdentityRequests: ManagedIdentityRequestRecord[];
  readonly managedIdentityObjectId: string;
  readonly managedIdentityClientId: string;
  readonly conditionalAccessPolicyId: string;
}

/** The stand-in's private state, shared by its modules. */
export interface EntraState {
  readonly settings: EntraSettings;
  readonly key: SigningKey;
  readonly identityHeader: string;
  readonly tenants: Map<string, Tenant>;
  readonly apps: Map<string, StoredApp>;
  readonly users: Map<string, EntraUser>;
  readonly resources: Map<string, Resource>;
  readonly consents: Map<string, Set<string>>;
  readonly sessions: Map<string, AuthSession>;
  readonly codes: Map<string, AuthCode>;
  readonly refreshTokens: Map<string, RefreshTokenRecord>;
  readonly tokenFaults: TokenFault[];
  readonly authorizeFaults: AuthorizeFault[];
  readonly issued: string[];
  /** Newest refresh token per `clientId|username` (lower case). */
  readonly newestRefreshTokens: Map<string, string>;
  omitRefreshTokens: number;
  tokenGate?: Promise<void>;
  held: number;
  opaqueAccessTokens: number;
  clockOffsetMs: number;
  managedIdentityTenant?: string;
}

/** Empty state for a new stand-in. */
export function createState(settings: EntraSettings): EntraState {
  return {
    settings,
    key: createSigningKey(),
    identityHeader: randomToken(24),
    tenants: new Map(),
    apps: new Map(),
    users: new Map(),
    resources: new Map(),
    consents: new Map(),
    sessions: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    tokenFaults: [],
    authorizeFaults: [],
    issued: [],
    newestRefreshTokens: new Map(),
    omitRefreshTokens: 0,
    held: 0,
    opaqueAccessTokens: 0,
    clockOffsetMs: 0,
  };
}

/** The stand-in's clock in ms: real time plus `EntraEmulator.advanceClock`'s offset. */
export function nowMs(s: EntraState): number {
  return Date.now() + s.clockOffsetMs;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `https://host/name` → resource `https://host`, name `name`; bare names are Microsoft Graph's. */
export function parseScope(raw: string): ParsedScope {
  const at = raw.lastIndexOf("/");
  if (!raw.includes("://") || at < raw.indexOf("://") + 3) return { raw, resource: GRAPH, name: raw };
  return { raw, resource: raw.slice(0, at).replace(/\/+$/, ""), name: raw.slice(at + 1) };
}

export function splitScopes(scope: string | null | undefined): string[] {
  return (scope ?? "").split(/\s+/).filter(Boolean);
}

/** The `amr` a user's tokens carry: the user's own, else ["pwd","mfa"] with MFA and ["pwd"] without. */
export function amrOf(user: EntraUser): string[] {
  return user.amr ? [...user.amr] : user.mfa ? ["pwd", "mfa"] : ["pwd"];
}

/** Key of `EntraEmulator.newestRefreshToken`: client and user, plus the issuing tenant when it is not the app's own. */
export function refreshTokenKey(clientId: string, username: string, customerTenant?: string): string {
  return [clientId.toLowerCase(), username.toLowerCase(), ...(customerTenant ? [customerTenant] : [])].join("|");
}

export function clientInfo(user: EntraUser): string {
  return Buffer.from(JSON.stringify({ uid: user.oid, utid: user.tenantId })).toString("base64url");
}

export function pairwiseSub(oid: string, clientId: string): string {
  return sha256(`${oid}|${clientId}`).slice(0, 43);
}
