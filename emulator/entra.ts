/**
 * A local stand-in for Microsoft Entra ID (v2.0 endpoints), multi-tenant by
 * path, served over HTTPS on loopback. It is as strict as the real service
 * where the product depends on it — client secrets, redirect URIs, PKCE,
 * single-use codes, consent, scopes — and answers errors in Entra's JSON shape
 * (error, error_description, error_codes, timestamp, trace_id, correlation_id,
 * error_uri, suberror and, on Conditional Access / MFA challenges, claims).
 *
 * Refresh tokens behave like Entra's by default: every redemption returns a new
 * refresh token, and the old one stays valid until it expires or is revoked
 * ("doesn't revoke old refresh tokens when used to fetch new access tokens",
 * Microsoft's refresh-tokens reference). `singleUseRefreshTokens` makes the
 * stand-in stricter than Entra — a redeemed token is refused — for tests that
 * must prove a client stored the newest token; {@link EntraStandIn.refreshTokenUses}
 * and {@link EntraStandIn.newestRefreshToken} prove it without that.
 *
 * Customer tenants (GDAP): a tenant can be named by id or by a verified domain
 * in the path. A multi-tenant app is unknown to a customer tenant (AADSTS700016)
 * until {@link EntraStandIn.consentAppInTenant} adds it — what Partner Center's
 * applicationconsents does — and a partner user's refresh token is redeemed
 * there only if the user holds a GDAP role in it ({@link EntraStandIn.grantGdapRole};
 * otherwise AADSTS50020). Tokens issued there carry `tid` = the customer.
 *
 * Also serves an App Service-style managed-identity endpoint, so an unchanged
 * `DefaultAzureCredential` (with {@link EntraStandIn.managedIdentityEnv}) gets
 * tokens for the Key Vault stand-in.
 *
 * Never logs; error bodies never contain a secret, code or token.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type http from "node:http";
import {
  LoopbackServer,
  escapeHtml,
  randomToken,
  readForm,
  redirect,
  requestUrl,
  sendHtml,
  sendJson,
  type ServerTls,
} from "./http";
import { createSigningKey, decodeJwt, signJwt, verifyJwtSignature, type Claims, type SigningKey } from "./jwt";

/** Options of {@link EntraStandIn}. */
export interface EntraStandInOptions {
  tls: ServerTls;
  /** Lifetime of issued access tokens (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /**
   * Stricter than Entra: refuse a refresh token once it has been redeemed
   * (AADSTS70000). Default false — real Entra keeps used refresh tokens valid.
   */
  singleUseRefreshTokens?: boolean;
}

/** An app registration (a confidential client; single-tenant unless `multiTenant`). */
export interface RegisterAppOptions {
  tenantId: string;
  /** Sign-in audience AzureADMultipleOrgs: the app can be consented into other tenants (default false: AzureADMyOrg). */
  multiTenant?: boolean;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  displayName?: string;
  applicationObjectId?: string;
  servicePrincipalObjectId?: string;
  /**
   * Delegated scopes an administrator has consented to for every user, e.g.
   * `https://graph.microsoft.com/.default` (`.default` = every scope of that resource).
   */
  adminConsentedScopes?: string[];
}

/** A registered app as the stand-in sees it (secret excluded). */
export interface EntraApp {
  tenantId: string;
  clientId: string;
  /** Sign-in audience AzureADMultipleOrgs. */
  multiTenant: boolean;
  displayName: string;
  applicationObjectId: string;
  servicePrincipalObjectId: string;
  redirectUris: string[];
}

/** Options of {@link EntraStandIn.addTenant}. */
export interface AddTenantOptions {
  /** Verified domains, e.g. `fabrikam.onmicrosoft.com`; usable instead of the id in the authority path. */
  domains?: string[];
  /** The organization's name, as Entra's messages quote it. */
  displayName?: string;
}

/** A user to add to a tenant. */
export interface AddUserOptions {
  tenantId: string;
  /** User principal name, e.g. `admin@contoso.example`. */
  username: string;
  password: string;
  /** true: sign-in asks for an MFA code and tokens carry amr ["pwd","mfa"]; false: amr ["pwd"]. */
  mfa: boolean;
  /** The one-time code the MFA page accepts (default a random 6-digit code). */
  mfaCode?: string;
  displayName?: string;
  oid?: string;
  /**
   * The `amr` values this user's tokens carry instead of the default, e.g.
   * `["pwd", "ngcmfa"]` for a Windows Hello sign-in ("equivalent to mfa" in
   * Microsoft's amr reference) or `["rsa", "mfa"]`.
   */
  amr?: string[];
}

/** A user as stored by the stand-in. */
export interface EntraUser {
  tenantId: string;
  username: string;
  password: string;
  mfa: boolean;
  mfaCode: string;
  displayName: string;
  oid: string;
  amr?: string[];
}

/** An error the token endpoint returns once (see {@link EntraStandIn.failNextToken}). */
export interface TokenFault {
  /** HTTP status (default 400). */
  status?: number;
  /** OAuth error, e.g. `invalid_grant`. */
  error: string;
  /** AADSTS number, e.g. 50076. */
  code: number;
  /** Text after `AADSTS<code>: ` (the prefix is added when missing). */
  description: string;
  /** Default: Entra's suberror for a standard `code` (e.g. basic_action for 50076). */
  suberror?: string;
  /**
   * The `claims` challenge (a JSON string). Default: a Conditional Access
   * challenge for 50076, 50079 and 53003, as Entra sends; `false` for none.
   */
  claims?: string | false;
}

/** An error the authorize endpoint redirects with once (see {@link EntraStandIn.failNextAuthorize}). */
export interface AuthorizeFault {
  error: string;
  /** e.g. `AADSTS65001: The user or administrator has not consented…` */
  description: string;
}

/** Makes existing refresh tokens fail (see {@link EntraStandIn.invalidateRefreshTokens}). */
export interface RefreshTokenInvalidation {
  /** Only this user's tokens (default: every user's). */
  username?: string;
  /** 700082 expired, 70008 expired, 70043 sign-in frequency, 50173 revoked, 50076 / 50078 / 50079 MFA, 53003 Conditional Access, or any other. */
  code: number;
  /** OAuth error (default `invalid_grant`). */
  error?: string;
  /** Overrides the standard text for `code`. */
  description?: string;
}

/** One token-endpoint request, without any secret. */
export interface TokenRequestRecord {
  grantType: string;
  clientId: string;
  scope: string;
  tenantId: string;
  /** The tenant segment of the path as the client sent it (an id or a domain). */
  tenantPath: string;
  status: number;
  /** OAuth error and AADSTS code when the request failed. */
  error?: string;
  errorCode?: number;
}

/** One managed-identity endpoint request. */
export interface ManagedIdentityRequestRecord {
  resource: string;
  status: number;
}

/** How {@link EntraStandIn.signIn} answers the pages. */
export interface SignInOptions {
  username: string;
  password: string;
  /** Default: the user's registered MFA code. */
  mfaCode?: string;
  /** Default `accept`. */
  consent?: "accept" | "deny";
}

/** Options of {@link EntraStandIn.credential}. */
export interface StandInCredentialOptions {
  /** Object id of the principal (default: the managed identity's). */
  objectId?: string;
  /** Tenant of the principal (default: the managed identity's). */
  tenantId?: string;
}

/** Why {@link EntraStandIn.verifyAccessToken} rejected a token. */
export class AccessTokenError extends Error {
  constructor(
    readonly reason: "malformed" | "signature" | "issuer" | "audience" | "expired" | "not-yet-valid" | "tenant",
    message: string,
  ) {
    super(message);
    this.name = "AccessTokenError";
  }
}

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const GRAPH = "https://graph.microsoft.com";
const GRAPH_SCOPES = ["User.Read", "Directory.Read.All", "Directory.AccessAsUser.All", "Application.Read.All"];
const CODE_LIFETIME_SECONDS = 600;
const REFRESH_INACTIVITY_SECONDS = 90 * 24 * 3600;
const SESSION_LIFETIME_SECONDS = 900;
const MSI_API_VERSION = "2019-08-01";
const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

interface Tenant {
  id: string;
  displayName: string;
  /** Verified domains, lower case. */
  domains: Set<string>;
  /** Apps from other tenants consented here (their service principal exists), with the delegated scopes granted tenant-wide. */
  appConsents: Map<string, Set<string>>;
  /** Users of other tenants (lower-case UPN) holding a GDAP role here, with the roles. */
  gdap: Map<string, string[]>;
}

interface StoredApp extends EntraApp {
  secret: string;
  /** Secrets whose end date has passed (AADSTS7000222). */
  expiredSecrets: string[];
  adminConsented: Set<string>;
  multiTenant: boolean;
}

interface Resource {
  id: string;
  /** Delegated scope names; empty = any name is accepted. */
  scopes: Set<string>;
}

interface ParsedScope {
  raw: string;
  resource: string;
  name: string;
}

interface AuthSession {
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
}

interface AuthCode {
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

interface RefreshTokenRecord {
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

/** Entra's OAuth error, rendered in its JSON shape by the token endpoint. */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly text: string,
    readonly suberror?: string,
    readonly claims?: string,
  ) {
    super(`AADSTS${code}: ${text}`);
  }
}

/** AADSTS numbers whose real answers carry a Conditional Access `claims` challenge. */
const CLAIMS_CHALLENGE_CODES = new Set([50076, 50079, 53003]);

/** Entra's answers for refresh tokens it no longer accepts (texts from real responses and Microsoft's error reference). */
const STANDARD_INVALIDATIONS: Record<number, { error: string; text: string; suberror?: string }> = {
  70008: {
    error: "invalid_grant",
    text: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
  },
  700082: {
    error: "invalid_grant",
    text: "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00.",
  },
  70043: {
    error: "invalid_grant",
    suberror: "token_expired",
    text: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issued} and the maximum allowed lifetime for this request is 36000.",
  },
  50173: {
    error: "invalid_grant",
    text: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{now}'.",
  },
  50076: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
  },
  50078: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Presented multi-factor authentication has expired due to policies configured by your administrator, you must refresh your multi-factor authentication to access '{resource}'.",
  },
  50079: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
  },
  53003: {
    error: "invalid_grant",
    suberror: "message_only",
    text: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
  },
};

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** `https://host/name` → resource `https://host`, name `name`; bare names are Microsoft Graph's. */
function parseScope(raw: string): ParsedScope {
  const at = raw.lastIndexOf("/");
  if (!raw.includes("://") || at < raw.indexOf("://") + 3) return { raw, resource: GRAPH, name: raw };
  return { raw, resource: raw.slice(0, at).replace(/\/+$/, ""), name: raw.slice(at + 1) };
}

function splitScopes(scope: string | null | undefined): string[] {
  return (scope ?? "").split(/\s+/).filter(Boolean);
}

/**
 * An Entra ID stand-in. Create, {@link start}, register apps and users, point
 * MSAL at `${url}/${tenantId}` with `knownAuthorities: [new URL(url).host]`.
 */
export class EntraStandIn {
  /** Object id of the deployer's managed identity (Key Vault officer by default). */
  readonly managedIdentityObjectId = randomUUID();
  /** Client id of the managed identity. */
  readonly managedIdentityClientId = randomUUID();
  /** Lifetime of issued access tokens, in seconds. */
  accessTokenLifetimeSeconds: number;
  /** Every token-endpoint request, oldest first (no secrets). */
  readonly tokenRequests: TokenRequestRecord[] = [];
  /** Every managed-identity endpoint request, oldest first. */
  readonly managedIdentityRequests: ManagedIdentityRequestRecord[] = [];
  /**
   * Stricter than Entra: a redeemed refresh token is refused afterwards
   * (AADSTS70000). Default false, as real Entra keeps used tokens valid.
   */
  singleUseRefreshTokens: boolean;
  /** The Conditional Access policy id named in `claims` challenges. */
  readonly conditionalAccessPolicyId = randomUUID();

  private readonly server: LoopbackServer;
  private readonly key: SigningKey = createSigningKey();
  private readonly identityHeader = randomToken(24);
  private readonly tenants = new Map<string, Tenant>();
  private readonly apps = new Map<string, StoredApp>();
  private readonly users = new Map<string, EntraUser>();
  private readonly resources = new Map<string, Resource>();
  private readonly consents = new Map<string, Set<string>>();
  private readonly sessions = new Map<string, AuthSession>();
  private readonly codes = new Map<string, AuthCode>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly tokenFaults: TokenFault[] = [];
  private readonly authorizeFaults: AuthorizeFault[] = [];
  private readonly issued: string[] = [];
  /** Newest refresh token per `clientId|username` (lower case). */
  private readonly newestRefreshTokens = new Map<string, string>();
  private omitRefreshTokens = 0;
  private tokenGate?: Promise<void>;
  private held = 0;
  private opaqueAccessTokens = 0;
  private clockOffsetMs = 0;
  private managedIdentityTenant?: string;

  constructor(options: EntraStandInOptions) {
    this.server = new LoopbackServer((req, res) => this.handle(req, res), options.tls);
    this.accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
    this.singleUseRefreshTokens = options.singleUseRefreshTokens ?? false;
    this.registerResource(GRAPH, GRAPH_SCOPES);
  }

  /** Authority host, e.g. `https://localhost:41234` (no trailing slash). */
  get url(): string {
    if (!this.server.port) throw new Error("EntraStandIn is not started");
    return `https://localhost:${this.server.port}`;
  }

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Adds a tenant (registerApp and addUser add theirs implicitly). The first one hosts the managed identity. */
  addTenant(tenantId: string, options: AddTenantOptions = {}): void {
    const id = tenantId.toLowerCase();
    let tenant = this.tenants.get(id);
    if (!tenant) {
      tenant = { id, displayName: options.displayName ?? id, domains: new Set(), appConsents: new Map(), gdap: new Map() };
      this.tenants.set(id, tenant);
    }
    if (options.displayName) tenant.displayName = options.displayName;
    for (const domain of options.domains ?? []) tenant.domains.add(domain.toLowerCase());
    this.managedIdentityTenant ??= id;
  }

  /** The tenant id for an id or a verified domain, as Entra resolves the authority path; undefined when unknown. */
  resolveTenant(idOrDomain: string): string | undefined {
    const key = idOrDomain.toLowerCase();
    if (this.tenants.has(key)) return key;
    for (const tenant of this.tenants.values()) if (tenant.domains.has(key)) return tenant.id;
    return undefined;
  }

  /**
   * Puts a multi-tenant app into a customer tenant with delegated scopes granted
   * for the whole tenant (what Partner Center's applicationconsents does, and an
   * admin consent in that tenant). Scopes are full (`https://graph.microsoft.com/User.Read`,
   * `…/.default`) or bare Graph names (`User.Read`). Replaces an earlier consent.
   */
  consentAppInTenant(tenantId: string, clientId: string, scopes: string[]): void {
    const tenant = this.tenants.get(this.resolveTenant(tenantId) ?? "");
    const app = this.apps.get(clientId.toLowerCase());
    if (!tenant) throw new Error(`consentAppInTenant: unknown tenant ${tenantId}`);
    if (!app) throw new Error(`consentAppInTenant: unknown app ${clientId}`);
    tenant.appConsents.set(app.clientId, new Set(this.consentEntries(scopes)));
  }

  /** The scopes an app was consented to in a tenant (full scope strings), or undefined when it is not there. */
  appConsentInTenant(tenantId: string, clientId: string): string[] | undefined {
    const consent = this.tenants.get(this.resolveTenant(tenantId) ?? "")?.appConsents.get(clientId.toLowerCase());
    return consent && [...consent];
  }

  /** Removes an app from a customer tenant (its tokens there fail with AADSTS700016 again). True if it was there. */
  revokeAppConsentInTenant(tenantId: string, clientId: string): boolean {
    return this.tenants.get(this.resolveTenant(tenantId) ?? "")?.appConsents.delete(clientId.toLowerCase()) ?? false;
  }

  /**
   * Gives a partner user (by UPN) a GDAP role in a customer tenant: an active
   * GDAP relationship whose security group, with `roles`, has the user as a member.
   */
  grantGdapRole(customerTenantId: string, username: string, roles: string[] = ["Directory Readers"]): void {
    const tenant = this.tenants.get(this.resolveTenant(customerTenantId) ?? "");
    if (!tenant) throw new Error(`grantGdapRole: unknown tenant ${customerTenantId}`);
    tenant.gdap.set(username.toLowerCase(), [...roles]);
  }

  /** Takes a partner user's GDAP roles in a customer tenant away (relationship ended or removed from the group). */
  revokeGdapRole(customerTenantId: string, username: string): boolean {
    return this.tenants.get(this.resolveTenant(customerTenantId) ?? "")?.gdap.delete(username.toLowerCase()) ?? false;
  }

  /** Registers a confidential client in a tenant. */
  registerApp(options: RegisterAppOptions): EntraApp {
    this.addTenant(options.tenantId);
    const app: StoredApp = {
      tenantId: options.tenantId.toLowerCase(),
      clientId: options.clientId.toLowerCase(),
      displayName: options.displayName ?? "Partner Center SAM",
      applicationObjectId: options.applicationObjectId ?? randomUUID(),
      servicePrincipalObjectId: options.servicePrincipalObjectId ?? randomUUID(),
      redirectUris: [...options.redirectUris],
      secret: options.clientSecret,
      expiredSecrets: [],
      adminConsented: new Set((options.adminConsentedScopes ?? []).map((s) => this.normalizeScope(s))),
      multiTenant: options.multiTenant ?? false,
    };
    this.apps.set(app.clientId, app);
    return this.publicApp(app);
  }

  /** The registered app with this client id (secret excluded). */
  app(clientId: string): EntraApp | undefined {
    const app = this.apps.get(clientId.toLowerCase());
    return app && this.publicApp(app);
  }

  /** Changes an app's sign-in audience (multi-tenant or not), as `pulumi up` with `multiTenant` does. */
  setMultiTenant(clientId: string, multiTenant: boolean): void {
    const app = this.apps.get(clientId.toLowerCase());
    if (!app) throw new Error(`no app ${clientId}`);
    app.multiTenant = multiTenant;
  }

  /** Replaces an app's client secret (the old one stops working at once). */
  setClientSecret(clientId: string, newSecret: string): void {
    const app = this.apps.get(clientId.toLowerCase());
    if (!app) throw new Error(`no app ${clientId}`);
    app.secret = newSecret;
    app.expiredSecrets = app.expiredSecrets.filter((s) => s !== newSecret);
  }

  /**
   * The app's current client secret passes its end date: token requests that
   * present it get 401 invalid_client AADSTS7000222 from now on. `replacement`
   * becomes the valid secret (as `pulumi up` adds one); without it none is valid.
   */
  expireClientSecret(clientId: string, replacement?: string): void {
    const app = this.apps.get(clientId.toLowerCase());
    if (!app) throw new Error(`no app ${clientId}`);
    app.expiredSecrets.push(app.secret);
    app.secret = replacement ?? "";
  }

  /** Adds a user to a tenant. */
  addUser(options: AddUserOptions): EntraUser {
    this.addTenant(options.tenantId);
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
    this.users.set(`${user.tenantId}|${user.username.toLowerCase()}`, user);
    return { ...user };
  }

  /**
   * Makes a resource (an API's identifier URI, e.g. `https://localhost:1234`)
   * known to every tenant, with its delegated scope names (none = any name).
   * Microsoft Graph is known from the start.
   */
  registerResource(resource: string, scopes: string[] = []): void {
    const id = resource.replace(/\/+$/, "");
    this.resources.set(id.toLowerCase(), { id, scopes: new Set(scopes) });
  }

  /**
   * Holds every token-endpoint answer from now until the returned function is
   * called — to see how many requests a client has in flight at once
   * ({@link heldTokenRequests}). Not a behaviour of Entra ID; a test's lens.
   */
  holdTokenResponses(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.tokenGate = gate;
    return () => {
      if (this.tokenGate === gate) this.tokenGate = undefined;
      release();
    };
  }

  /** Token requests received and held by {@link holdTokenResponses}, not answered yet. */
  get heldTokenRequests(): number {
    return this.held;
  }

  /** The next authorize request that names a valid client and redirect URI is answered with this error. */
  failNextAuthorize(fault: AuthorizeFault): void {
    this.authorizeFaults.push(fault);
  }

  /**
   * The next token request (queued: one fault per request) fails with this
   * error. A standard `code` gets Entra's suberror and, for 50076 / 50079 /
   * 53003, its Conditional Access `claims` challenge unless the fault says otherwise.
   */
  failNextToken(fault: TokenFault): void {
    this.tokenFaults.push({ ...fault, suberror: fault.suberror ?? STANDARD_INVALIDATIONS[fault.code]?.suberror, claims: fault.claims ?? this.standardClaims(fault.code) });
  }

  /**
   * Not an answer real Entra is known to give (it returns a new refresh token on
   * every refresh_token redemption with offline_access): the next successful
   * refresh_token redemption leaves `refresh_token` out, to test a client's handling.
   */
  omitNextRefreshToken(): void {
    this.omitRefreshTokens++;
  }

  /**
   * The next user access token is opaque (not a JWT), as Entra issues for some
   * resources; not known to happen for Partner Center — a fault to test a client.
   */
  opaqueNextAccessToken(): void {
    this.opaqueAccessTokens++;
  }

  /** Every refresh token existing now (of one user, or all) fails from now on with this error. Returns how many. */
  invalidateRefreshTokens(options: RefreshTokenInvalidation): number {
    const standard = STANDARD_INVALIDATIONS[options.code];
    let count = 0;
    for (const record of this.refreshTokens.values()) {
      if (options.username && record.user.username.toLowerCase() !== options.username.toLowerCase()) continue;
      const text = (options.description ?? standard?.text ?? "The refresh token is no longer valid.")
        .replace("{issued}", new Date(record.issuedAt).toISOString())
        .replace("{now}", new Date(this.now()).toISOString());
      record.failure = {
        status: 400,
        error: options.error ?? standard?.error ?? "invalid_grant",
        code: options.code,
        description: text,
        suberror: standard?.suberror,
        claims: this.standardClaims(options.code),
      };
      count++;
    }
    return count;
  }

  /**
   * Every secret value this stand-in handed out, oldest first: authorization
   * codes, access tokens (user and app), id tokens and refresh tokens — for
   * tests that check no such value is ever printed.
   */
  issuedSecrets(): string[] {
    return [...this.issued];
  }

  /**
   * True while `token` would be accepted by the refresh_token grant (ignoring
   * scope and consent). A used token stays valid, as in Entra, unless
   * {@link singleUseRefreshTokens} is on.
   */
  isRefreshTokenValid(token: string): boolean {
    const record = this.refreshTokens.get(sha256(token));
    return !!record && !(this.singleUseRefreshTokens && record.uses > 0) && !record.failure && !this.refreshExpired(record);
  }

  /** How many times `token` was redeemed successfully (0 for an unknown token). */
  refreshTokenUses(token: string): number {
    return this.refreshTokens.get(sha256(token))?.uses ?? 0;
  }

  /**
   * The refresh token most recently issued to `username` for `clientId`, by code
   * or refresh redemption, in the app's own tenant — or, with `tenantId`, by a
   * redemption in that (customer) tenant.
   */
  newestRefreshToken(clientId: string, username: string, tenantId?: string): string | undefined {
    const app = this.apps.get(clientId.toLowerCase());
    const tenant = tenantId === undefined ? undefined : (this.resolveTenant(tenantId) ?? tenantId.toLowerCase());
    return this.newestRefreshTokens.get(refreshTokenKey(clientId, username, tenant === app?.tenantId ? undefined : tenant));
  }

  /**
   * Issues a refresh token as if `username` had signed in to `clientId` and
   * consented to `scopes` — for tests that start after the bootstrap.
   */
  issueRefreshToken(options: { tenantId: string; clientId: string; username: string; scopes: string[] }): string {
    const user = this.findUser(options.tenantId, options.username);
    const app = this.apps.get(options.clientId.toLowerCase());
    if (!user || !app || app.tenantId !== user.tenantId) throw new Error("issueRefreshToken: unknown user, app or tenant");
    this.recordConsent(app, user, options.scopes.filter((s) => !OIDC_SCOPES.has(s)));
    return this.newRefreshToken(app, user, amrOf(user), Math.floor(this.now() / 1000), app.tenantId);
  }

  /** Moves the stand-in's clock (code and refresh-token expiry, token iat/exp) forward. */
  advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  /**
   * Environment for `DefaultAzureCredential` to use this stand-in's
   * managed-identity endpoint (App Service style), in-process or in a child.
   */
  managedIdentityEnv(): Record<string, string> {
    return {
      AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
      IDENTITY_ENDPOINT: `${this.url}/msi/token`,
      IDENTITY_HEADER: this.identityHeader,
    };
  }

  /** A test-side credential minting managed-identity (or `objectId`) tokens directly, without network. */
  credential(options: StandInCredentialOptions = {}): TokenCredential {
    return {
      getToken: async (scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken> => {
        const list = Array.isArray(scopes) ? scopes : [scopes];
        if (list.length !== 1) throw new Error("stand-in credential: exactly one scope is supported");
        const resource = this.findResource(list[0].replace(/\/\.default$/, ""));
        if (!resource) throw new Error(`stand-in credential: unknown resource for scope ${list[0]}`);
        const tenantId = (options.tenantId ?? getTokenOptions?.tenantId ?? this.requireManagedIdentityTenant()).toLowerCase();
        const { token, exp } = this.appToken(tenantId, resource.id, options.objectId ?? this.managedIdentityObjectId, this.managedIdentityClientId);
        return { token, expiresOnTimestamp: exp * 1000, tokenType: "Bearer" };
      },
    };
  }

  /**
   * Verifies an access token issued here: signature, v1 issuer of a known
   * tenant, audience (trailing slash ignored), nbf/exp with 5 min skew.
   * Returns the claims or throws an {@link AccessTokenError}.
   */
  verifyAccessToken(jwt: string, expected: { audience: string; tenantId?: string }): Claims {
    let claims: Claims;
    try {
      decodeJwt(jwt);
    } catch (err) {
      throw new AccessTokenError("malformed", (err as Error).message);
    }
    try {
      claims = verifyJwtSignature(jwt, this.key);
    } catch (err) {
      throw new AccessTokenError("signature", (err as Error).message);
    }
    const tid = String(claims.tid ?? "").toLowerCase();
    if (!this.tenants.has(tid) || claims.iss !== `https://sts.windows.net/${tid}/`) {
      throw new AccessTokenError("issuer", `Invalid issuer ${String(claims.iss)}`);
    }
    if (expected.tenantId && tid !== expected.tenantId.toLowerCase()) {
      throw new AccessTokenError("tenant", `Token is for tenant ${tid}, expected ${expected.tenantId}`);
    }
    const norm = (a: unknown): string => String(a ?? "").replace(/\/+$/, "").toLowerCase();
    if (norm(claims.aud) !== norm(expected.audience)) {
      throw new AccessTokenError("audience", `Invalid audience. Expected ${expected.audience}, found ${String(claims.aud)}`);
    }
    const now = Math.floor(this.now() / 1000);
    if (typeof claims.exp !== "number" || claims.exp + 300 <= now) throw new AccessTokenError("expired", "The token is expired");
    if (typeof claims.nbf === "number" && claims.nbf - 300 > now) throw new AccessTokenError("not-yet-valid", "The token is not yet valid");
    return claims;
  }

  /**
   * Drives the sign-in pages like a browser would (plain fetch, manual
   * redirects) and resolves with the URL Entra redirects back to — the
   * redirect URI with `code`/`error` and `state`. Throws with the page's
   * error text when a page shows one. Only `response_mode=query`.
   */
  async signIn(authorizeUrl: string, options: SignInOptions): Promise<URL> {
    const first = await fetch(authorizeUrl, { redirect: "manual" });
    const done = (res: Response): URL | undefined => {
      const location = res.headers.get("location");
      return res.status === 302 && location ? new URL(location) : undefined;
    };
    let res = first;
    for (let step = 0; step < 4; step++) {
      const finished = done(res);
      if (finished) return finished;
      const html = await res.text();
      const pageError = /id="error"[^>]*>([^<]*)</.exec(html)?.[1];
      if (res.status !== 200 || (pageError && step > 0)) {
        throw new Error(`sign-in page error: ${pageError ?? /id="message"[^>]*>([^<]*)</.exec(html)?.[1] ?? res.status}`);
      }
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const ctx = /name="ctx" value="([^"]+)"/.exec(html)?.[1];
      if (!action || !ctx) throw new Error("sign-in page has no form");
      const form = new URLSearchParams({ ctx });
      if (html.includes('id="password"')) {
        form.set("login", options.username);
        form.set("passwd", options.password);
      } else if (html.includes('id="otc"')) {
        const tenant = new URL(authorizeUrl).pathname.split("/")[1];
        form.set("otc", options.mfaCode ?? this.findUser(tenant, options.username)?.mfaCode ?? "");
      } else if (html.includes('id="accept"')) {
        form.set("action", options.consent ?? "accept");
      } else {
        throw new Error("unexpected sign-in page");
      }
      res = await fetch(new URL(action.replace(/&amp;/g, "&"), authorizeUrl), {
        method: "POST",
        body: form,
        redirect: "manual",
      });
    }
    throw new Error("sign-in did not finish");
  }

  // ---------------------------------------------------------------- routing

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "msi" && parts[1] === "token" && parts.length === 2) return this.handleManagedIdentity(req, res, url);
    const [tenant, ...rest] = parts;
    const route = rest.join("/");
    const method = req.method ?? "GET";
    const resolvedTenant = tenant ? this.resolveTenant(tenant) : undefined;
    if (tenant && !resolvedTenant) {
      const err = new OAuthError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      if (route === "oauth2/v2.0/authorize") return this.errorPage(res, err.message);
      return this.sendOAuthError(req, res, err);
    }
    const tenantId = resolvedTenant ?? "";
    if (method === "GET" && (route === "v2.0/.well-known/openid-configuration" || route === ".well-known/openid-configuration")) {
      return sendJson(res, 200, this.openIdConfiguration(tenantId));
    }
    if (method === "GET" && (route === "discovery/keys" || route === "discovery/v2.0/keys")) {
      return sendJson(res, 200, { keys: [{ ...this.key.jwk, issuer: `${this.url}/${tenantId}/v2.0` }] });
    }
    if (method === "GET" && route === "oauth2/v2.0/authorize") return this.handleAuthorize(res, tenantId, url.searchParams);
    if (method === "POST" && route === "login") return this.handleLogin(req, res, tenantId);
    if (method === "POST" && route === "mfa") return this.handleMfa(req, res, tenantId);
    if (method === "POST" && route === "consent") return this.handleConsent(req, res, tenantId);
    if (route === "oauth2/v2.0/token") {
      if (method !== "POST") return this.sendOAuthError(req, res, new OAuthError(400, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request."));
      return this.handleToken(req, res, tenantId, tenant ?? "");
    }
    if (method === "GET" && route === "oauth2/v2.0/logout") return sendHtml(res, 200, page("Signed out", "<p>You have signed out of your account.</p>"));
    return sendJson(res, 404, { error: "not_found" });
  }

  private openIdConfiguration(tenantId: string): Record<string, unknown> {
    const base = `${this.url}/${tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.url}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "EU",
      cloud_instance_name: "localhost",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    };
  }

  // -------------------------------------------------------------- authorize

  private handleAuthorize(res: http.ServerResponse, tenantId: string, q: URLSearchParams): void {
    const clientId = q.get("client_id");
    if (!clientId) return this.errorPage(res, "AADSTS900144: The request body must contain the following parameter: 'client_id'.");
    const app = this.apps.get(clientId.toLowerCase());
    if (!app || !this.appKnownIn(app, tenantId)) {
      return this.errorPage(res, `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    const redirectUri = q.get("redirect_uri");
    if (!redirectUri) return this.errorPage(res, "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.");
    if (!app.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
      return this.errorPage(res, `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`);
    }
    const state = q.get("state") ?? undefined;
    const responseMode = q.get("response_mode") ?? "query";
    const back = (error: string, description: string, extra: Record<string, string> = {}): void =>
      redirect(res, withParams(redirectUri, { error, error_description: description, ...extra, ...(state !== undefined ? { state } : {}) }));
    const fault = this.authorizeFaults.shift();
    if (fault) return back(fault.error, fault.description);
    if (responseMode !== "query" && responseMode !== "form_post") {
      return back("invalid_request", `AADSTS90008: The response_mode '${responseMode}' is not supported for response_type 'code'; use 'query' or 'form_post'.`);
    }
    if (q.get("response_type") !== "code") {
      return back("unsupported_response_type", `AADSTS700054: response_type '${q.get("response_type") ?? ""}' is not enabled for the application.`);
    }
    const scopes = splitScopes(q.get("scope"));
    if (!scopes.length) return back("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.");
    const scopeError = this.checkScopes(tenantId, scopes.filter((s) => !OIDC_SCOPES.has(s)));
    if (scopeError) return back(scopeError.error, scopeError.message);
    const challenge = q.get("code_challenge");
    if (!challenge || q.get("code_challenge_method") !== "S256") {
      return back("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.");
    }
    if (!/^[A-Za-z0-9\-_]{43}$/.test(challenge)) {
      return back("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.");
    }
    if (q.get("prompt") === "none") {
      return back("login_required", "AADSTS50058: A silent sign-in request was sent but no user is signed in.");
    }
    const session: AuthSession = {
      id: randomToken(24),
      tenantId,
      app,
      redirectUri,
      state,
      nonce: q.get("nonce") ?? undefined,
      scopes,
      codeChallenge: challenge,
      responseMode,
      loginHint: q.get("login_hint") ?? undefined,
      clientInfo: q.get("client_info") === "1",
      step: "login",
      expiresAt: this.now() + SESSION_LIFETIME_SECONDS * 1000,
    };
    this.sessions.set(session.id, session);
    sendHtml(res, 200, this.loginPage(session));
  }

  private async session(req: http.IncomingMessage, res: http.ServerResponse, tenantId: string, step: AuthSession["step"]): Promise<{ session: AuthSession; form: URLSearchParams } | undefined> {
    const form = await readForm(req);
    const session = this.sessions.get(form.get("ctx") ?? "");
    if (!session || session.tenantId !== tenantId || session.step !== step || session.expiresAt < this.now()) {
      this.errorPage(res, "AADSTS50089: The sign-in session has expired or is not valid. Start the sign-in again from the application.");
      return undefined;
    }
    return { session, form };
  }

  private async handleLogin(req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
    const found = await this.session(req, res, tenantId, "login");
    if (!found) return;
    const { session, form } = found;
    const username = (form.get("login") ?? "").trim();
    const user = this.findUser(tenantId, username);
    if (!user) {
      return sendHtml(res, 200, this.loginPage(session, `AADSTS50034: The user account ${username} does not exist in the ${tenantId} directory. To sign into this application, the account must be added to the directory.`));
    }
    if (!safeEqual(form.get("passwd") ?? "", user.password)) {
      return sendHtml(res, 200, this.loginPage(session, "AADSTS50126: Error validating credentials due to invalid username or password."));
    }
    session.user = user;
    session.step = user.mfa ? "mfa" : "consent";
    sendHtml(res, 200, user.mfa ? this.mfaPage(session) : this.consentPage(session));
  }

  private async handleMfa(req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
    const found = await this.session(req, res, tenantId, "mfa");
    if (!found) return;
    const { session, form } = found;
    if (!session.user || !safeEqual((form.get("otc") ?? "").trim(), session.user.mfaCode)) {
      return sendHtml(res, 200, this.mfaPage(session, "You didn't enter the expected verification code. Please try again."));
    }
    session.step = "consent";
    sendHtml(res, 200, this.consentPage(session));
  }

  private async handleConsent(req: http.IncomingMessage, res: http.ServerResponse, tenantId: string): Promise<void> {
    const found = await this.session(req, res, tenantId, "consent");
    if (!found) return;
    const { session, form } = found;
    const user = session.user;
    if (!user) return this.errorPage(res, "AADSTS50089: The sign-in session is not valid.");
    session.step = "done";
    this.sessions.delete(session.id);
    const state: Record<string, string> = session.state !== undefined ? { state: session.state } : {};
    let params: Record<string, string>;
    if (form.get("action") === "accept") {
      this.recordConsent(session.app, user, session.scopes.filter((s) => !OIDC_SCOPES.has(s)));
      const code = `1.A${randomToken(72)}`;
      this.issued.push(code);
      const now = this.now();
      this.codes.set(code, {
        tenantId,
        clientId: session.app.clientId,
        redirectUri: session.redirectUri,
        codeChallenge: session.codeChallenge,
        scopes: session.scopes,
        nonce: session.nonce,
        user,
        amr: amrOf(user),
        authTime: Math.floor(now / 1000),
        expiresAt: now + CODE_LIFETIME_SECONDS * 1000,
        redeemed: false,
      });
      params = {
        code,
        ...(session.clientInfo ? { client_info: clientInfo(user) } : {}),
        ...state,
        session_state: randomUUID(),
      };
    } else {
      params = {
        error: "access_denied",
        error_subcode: "cancel",
        error_description: "AADSTS65004: User declined to consent to access the app.",
        ...state,
      };
    }
    if (session.responseMode === "form_post") {
      const inputs = Object.entries(params)
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
        .join("");
      return sendHtml(res, 200, page("Working…", `<form id="response" method="post" action="${escapeHtml(session.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>document.getElementById("response").submit()</script>`));
    }
    redirect(res, withParams(session.redirectUri, params));
  }

  // ------------------------------------------------------------------ token

  private async handleToken(req: http.IncomingMessage, res: http.ServerResponse, tenantId: string, tenantPath: string): Promise<void> {
    const form = await readForm(req);
    const record: TokenRequestRecord = {
      grantType: form.get("grant_type") ?? "",
      clientId: form.get("client_id") ?? basicAuth(req)?.clientId ?? "",
      scope: form.get("scope") ?? "",
      tenantId,
      tenantPath,
      status: 200,
    };
    this.tokenRequests.push(record);
    if (this.tokenGate) {
      this.held++;
      await this.tokenGate.finally(() => this.held--);
    }
    try {
      const fault = this.tokenFaults.shift();
      if (fault) {
        throw new OAuthError(fault.status ?? 400, fault.error, fault.code, fault.description.replace(new RegExp(`^AADSTS${fault.code}:\\s*`), ""), fault.suberror, fault.claims || undefined);
      }
      const body = this.redeem(req, form, tenantId);
      sendJson(res, 200, body, { "client-request-id": String(req.headers["client-request-id"] ?? randomUUID()) });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      record.status = err.status;
      record.error = err.error;
      record.errorCode = err.code;
      this.sendOAuthError(req, res, err);
    }
  }

  private redeem(req: http.IncomingMessage, form: URLSearchParams, tenantId: string): Record<string, unknown> {
    const grantType = form.get("grant_type");
    if (!grantType) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
    const basic = basicAuth(req);
    const clientId = (form.get("client_id") ?? basic?.clientId ?? "").toLowerCase();
    if (!clientId) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    const app = this.apps.get(clientId);
    if (!app || !this.appKnownIn(app, tenantId)) {
      throw new OAuthError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    const secret = form.get("client_secret") ?? basic?.secret;
    if (form.get("client_assertion")) {
      throw new OAuthError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
    if (!secret) throw new OAuthError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (app.expiredSecrets.some((expired) => safeEqual(secret, expired))) {
      throw new OAuthError(401, "invalid_client", 7000222, `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
    }
    if (!app.secret || !safeEqual(secret, app.secret)) {
      throw new OAuthError(401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
    }
    switch (grantType) {
      case "authorization_code":
        return this.redeemCode(app, form, tenantId);
      case "refresh_token":
        return this.redeemRefreshToken(app, form, tenantId);
      case "client_credentials":
        return this.clientCredentials(app, form);
      default:
        throw new OAuthError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
    }
  }

  private redeemCode(app: StoredApp, form: URLSearchParams, tenantId: string): Record<string, unknown> {
    const code = this.codes.get(form.get("code") ?? "");
    if (!code) throw new OAuthError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. - The reason: The provided authorization code is malformed or was not issued by this service.");
    if (code.clientId !== app.clientId) throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: the authorization code was issued to a different client.");
    if (code.redeemed) throw new OAuthError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
    if (code.expiresAt <= this.now()) throw new OAuthError(400, "invalid_grant", 70008, STANDARD_INVALIDATIONS[70008].text);
    const redirectUri = form.get("redirect_uri") ?? "";
    if (redirectUri !== code.redirectUri) {
      throw new OAuthError(400, "invalid_grant", 500112, `The reply address '${redirectUri}' does not match the reply address '${code.redirectUri}' provided when requesting Authorization code.`);
    }
    const verifier = form.get("code_verifier") ?? "";
    if (!PKCE_VERIFIER.test(verifier) || sha256(verifier) !== code.codeChallenge) {
      throw new OAuthError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
    }
    code.redeemed = true;
    const requested = splitScopes(form.get("scope"));
    const scopes = requested.length ? requested : code.scopes;
    const offline = scopes.includes("offline_access") || code.scopes.includes("offline_access");
    return this.userTokenResponse(app, tenantId, code.user, scopes, code.amr, code.authTime, offline, form.get("client_info") === "1", code.nonce);
  }

  private redeemRefreshToken(app: StoredApp, form: URLSearchParams, tenantId: string): Record<string, unknown> {
    const token = form.get("refresh_token");
    if (!token) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.");
    const hash = sha256(token);
    const record = this.refreshTokens.get(hash);
    if (!record) throw new OAuthError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. - The reason: The refresh token is malformed or was not issued by this service.");
    if (record.tenantId !== app.tenantId) throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was issued in a different tenant.");
    if (record.clientId !== app.clientId) throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was issued to a different client.");
    const scopes = splitScopes(form.get("scope"));
    if (record.failure) {
      const resource = scopes.map(parseScope).find((s) => !OIDC_SCOPES.has(s.raw))?.resource ?? GRAPH;
      const f = record.failure;
      throw new OAuthError(f.status ?? 400, f.error, f.code, f.description.replace("{resource}", resource), f.suberror, f.claims || undefined);
    }
    if (this.singleUseRefreshTokens && record.uses > 0) {
      // Not Entra's behaviour: the stand-in's strict mode, for tests that must prove the newest token was stored.
      throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: this refresh token was already redeemed (the test stand-in's single-use refresh token mode; real Entra ID keeps it valid).");
    }
    if (this.refreshExpired(record)) {
      throw new OAuthError(400, "invalid_grant", 700082, STANDARD_INVALIDATIONS[700082].text.replace("{issued}", new Date(record.issuedAt).toISOString()));
    }
    if (!scopes.length) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
    if (tenantId !== record.tenantId) {
      // A partner user in a customer tenant: only through a GDAP role there.
      const tenant = this.tenants.get(tenantId)!;
      if (!tenant.gdap.has(record.user.username.toLowerCase())) {
        throw new OAuthError(400, "invalid_grant", 50020, `User account '${record.user.username}' from identity provider 'https://sts.windows.net/${record.tenantId}/' does not exist in tenant '${tenant.displayName}' and cannot access the application '${app.clientId}'(${app.displayName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`);
      }
    }
    const omit = this.omitRefreshTokens > 0;
    if (omit) this.omitRefreshTokens--;
    const body = this.userTokenResponse(app, tenantId, record.user, scopes, record.amr, record.authTime, !omit, form.get("client_info") === "1", undefined);
    record.uses++;
    record.lastUsedAt = this.now();
    return body;
  }

  private clientCredentials(app: StoredApp, form: URLSearchParams): Record<string, unknown> {
    const scopes = splitScopes(form.get("scope"));
    if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
      throw new OAuthError(400, "invalid_scope", 1002012, `The provided value for scope ${scopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const resource = this.findResource(parseScope(scopes[0]).resource);
    if (!resource) throw this.unknownResource(app.tenantId, parseScope(scopes[0]).resource);
    const { token, exp } = this.appToken(app.tenantId, resource.id, app.servicePrincipalObjectId, app.clientId);
    const lifetime = exp - Math.floor(this.now() / 1000);
    return { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token };
  }

  private userTokenResponse(
    app: StoredApp,
    /** The tenant whose token endpoint answers: the app's own, or a customer tenant. */
    tenantId: string,
    user: EntraUser,
    scopes: string[],
    amr: string[],
    authTime: number,
    offline: boolean,
    wantClientInfo: boolean,
    nonce: string | undefined,
  ): Record<string, unknown> {
    const apiScopes = scopes.filter((s) => !OIDC_SCOPES.has(s)).map(parseScope);
    const resources = [...new Set(apiScopes.map((s) => s.resource.toLowerCase()))];
    if (resources.length > 1) {
      throw new OAuthError(400, "invalid_request", 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopes.join(" ")} is not valid.`);
    }
    const scopeError = this.checkScopes(tenantId, apiScopes.map((s) => s.raw));
    if (scopeError) throw scopeError;
    const resource = this.findResource(apiScopes[0]?.resource ?? GRAPH) as Resource;
    let granted: string[];
    if (apiScopes.length === 0) {
      granted = scopes.filter((s) => s !== "offline_access");
    } else {
      const consented = this.consentedScopeNames(app, user, resource, tenantId);
      const names = apiScopes.some((s) => s.name === ".default") ? [...consented] : apiScopes.map((s) => s.name);
      const missing = names.length === 0 || names.some((n) => !consented.has(n));
      if (missing) {
        throw new OAuthError(400, "invalid_grant", 65001, `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`, "consent_required");
      }
      granted = names;
    }
    const now = Math.floor(this.now() / 1000);
    const exp = now + this.accessTokenLifetimeSeconds;
    const accessToken = signJwt(
      {
        aud: resource.id,
        iss: `https://sts.windows.net/${tenantId}/`,
        iat: now,
        nbf: now,
        exp,
        acr: "1",
        aio: randomToken(24),
        amr,
        appid: app.clientId,
        appidacr: "1",
        auth_time: authTime,
        ...(tenantId !== user.tenantId ? { idp: `https://sts.windows.net/${user.tenantId}/` } : {}),
        idtyp: "user",
        ipaddr: "127.0.0.1",
        name: user.displayName,
        oid: user.oid,
        preferred_username: user.username,
        rh: randomToken(16),
        scp: granted.join(" "),
        sub: pairwiseSub(user.oid, app.clientId),
        tid: tenantId,
        unique_name: user.username,
        upn: user.username,
        uti: randomToken(16),
        ver: "1.0",
        azp: app.clientId,
      },
      this.key,
    );
    let issuedAccessToken = accessToken;
    if (this.opaqueAccessTokens > 0) {
      this.opaqueAccessTokens--;
      issuedAccessToken = `EwB${randomToken(96)}`;
    }
    this.issued.push(issuedAccessToken);
    const body: Record<string, unknown> = {
      token_type: "Bearer",
      scope: apiScopes.length ? granted.map((n) => `${resource.id}/${n}`).join(" ") : granted.join(" "),
      expires_in: this.accessTokenLifetimeSeconds,
      ext_expires_in: this.accessTokenLifetimeSeconds,
      access_token: issuedAccessToken,
    };
    if (offline) body.refresh_token = this.newRefreshToken(app, user, amr, authTime, tenantId);
    if (scopes.includes("openid")) {
      body.id_token = signJwt(
        {
          aud: app.clientId,
          iss: `${this.url}/${tenantId}/v2.0`,
          iat: now,
          nbf: now,
          exp: now + 3600,
          name: user.displayName,
          ...(nonce !== undefined ? { nonce } : {}),
          oid: user.oid,
          preferred_username: user.username,
          rh: randomToken(16),
          sub: pairwiseSub(user.oid, app.clientId),
          tid: tenantId,
          uti: randomToken(16),
          ver: "2.0",
        },
        this.key,
      );
      this.issued.push(body.id_token as string);
    }
    if (wantClientInfo) body.client_info = clientInfo(user);
    return body;
  }

  private newRefreshToken(app: StoredApp, user: EntraUser, amr: string[], authTime: number, issuedIn: string): string {
    const token = `1.A${randomToken(96)}`;
    this.issued.push(token);
    const now = this.now();
    this.refreshTokens.set(sha256(token), {
      tenantId: app.tenantId,
      issuedIn,
      clientId: app.clientId,
      user,
      amr,
      authTime,
      issuedAt: now,
      lastUsedAt: now,
      uses: 0,
    });
    this.newestRefreshTokens.set(refreshTokenKey(app.clientId, user.username, issuedIn === app.tenantId ? undefined : issuedIn), token);
    return token;
  }

  /** Entra's Conditional Access challenge for `code`, as the `claims` string it sends, or undefined. */
  private standardClaims(code: number): string | undefined {
    if (!CLAIMS_CHALLENGE_CODES.has(code)) return undefined;
    return JSON.stringify({ access_token: { capolids: { essential: true, values: [this.conditionalAccessPolicyId] } } });
  }

  private refreshExpired(record: RefreshTokenRecord): boolean {
    return this.now() - record.lastUsedAt > REFRESH_INACTIVITY_SECONDS * 1000;
  }

  // ------------------------------------------------------- managed identity

  private handleManagedIdentity(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const q = url.searchParams;
    const resourceParam = q.get("resource") ?? "";
    const fail = (status: number, message: string): void => {
      this.managedIdentityRequests.push({ resource: resourceParam, status });
      sendJson(res, status, { statusCode: status, message, correlationId: randomUUID() });
    };
    if (req.method !== "GET") return fail(405, "The requested method is not supported.");
    const header = req.headers["x-identity-header"];
    if (typeof header !== "string" || !safeEqual(header, this.identityHeader)) {
      return fail(401, "Unauthorized: the X-IDENTITY-HEADER header is missing or not valid.");
    }
    if (q.get("api-version") !== MSI_API_VERSION) return fail(400, `The api-version '${q.get("api-version") ?? ""}' is not supported; use ${MSI_API_VERSION}.`);
    if (!resourceParam) return fail(400, "The 'resource' query parameter is required.");
    for (const id of ["client_id", "principal_id", "object_id", "mi_res_id"]) {
      const value = q.get(id);
      if (value && value !== this.managedIdentityClientId && value !== this.managedIdentityObjectId) {
        return fail(400, "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.");
      }
    }
    const tenantId = this.requireManagedIdentityTenant();
    const resource = this.findResource(resourceParam);
    if (!resource) return fail(400, this.unknownResource(tenantId, resourceParam).message);
    const { token, exp } = this.appToken(tenantId, resource.id, this.managedIdentityObjectId, this.managedIdentityClientId);
    this.managedIdentityRequests.push({ resource: resourceParam, status: 200 });
    sendJson(res, 200, {
      access_token: token,
      expires_on: String(exp),
      resource: resourceParam,
      token_type: "Bearer",
      client_id: this.managedIdentityClientId,
    });
  }

  // ---------------------------------------------------------------- helpers

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private appToken(tenantId: string, audience: string, objectId: string, appId: string): { token: string; exp: number } {
    const now = Math.floor(this.now() / 1000);
    const exp = now + this.accessTokenLifetimeSeconds;
    const token = signJwt(
      {
        aud: audience,
        iss: `https://sts.windows.net/${tenantId}/`,
        iat: now,
        nbf: now,
        exp,
        aio: randomToken(24),
        appid: appId,
        appidacr: "2",
        idp: `https://sts.windows.net/${tenantId}/`,
        idtyp: "app",
        oid: objectId,
        rh: randomToken(16),
        sub: objectId,
        tid: tenantId,
        uti: randomToken(16),
        ver: "1.0",
      },
      this.key,
    );
    this.issued.push(token);
    return { token, exp };
  }

  private requireManagedIdentityTenant(): string {
    if (!this.managedIdentityTenant) throw new Error("EntraStandIn: add a tenant before using the managed identity");
    return this.managedIdentityTenant;
  }

  private findUser(tenantId: string, username: string): EntraUser | undefined {
    return this.users.get(`${tenantId.toLowerCase()}|${username.toLowerCase()}`);
  }

  private findResource(resource: string): Resource | undefined {
    return this.resources.get(resource.replace(/\/+$/, "").toLowerCase());
  }

  private normalizeScope(scope: string): string {
    const parsed = parseScope(scope);
    const resource = this.findResource(parsed.resource);
    return `${(resource?.id ?? parsed.resource).toLowerCase()}/${parsed.name}`;
  }

  private unknownResource(tenantId: string, resource: string): OAuthError {
    return new OAuthError(400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
  }

  /** Validates API scopes (not OIDC ones): known resource, known scope name. */
  private checkScopes(tenantId: string, scopes: string[]): OAuthError | undefined {
    for (const raw of scopes) {
      const parsed = parseScope(raw);
      const resource = this.findResource(parsed.resource);
      if (!resource) return this.unknownResource(tenantId, parsed.resource);
      if (parsed.name !== ".default" && resource.scopes.size && !resource.scopes.has(parsed.name)) {
        return new OAuthError(400, "invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${raw} is not valid.`);
      }
    }
    return undefined;
  }

  private recordConsent(app: StoredApp, user: EntraUser, scopes: string[]): void {
    const key = `${app.clientId}|${user.oid}`;
    const set = this.consents.get(key) ?? new Set<string>();
    for (const entry of this.consentEntries(scopes)) set.add(entry);
    this.consents.set(key, set);
  }

  /** Consent entries (`<resource>/<name>`, lower-case resource) for scopes; `.default` means every scope of a known resource. */
  private consentEntries(scopes: string[]): string[] {
    const entries: string[] = [];
    for (const raw of scopes) {
      const parsed = parseScope(raw);
      const resource = this.findResource(parsed.resource);
      if (!resource) continue;
      const names = parsed.name === ".default" ? (resource.scopes.size ? [...resource.scopes] : [".default"]) : [parsed.name];
      for (const n of names) entries.push(`${resource.id.toLowerCase()}/${n}`);
    }
    return entries;
  }

  /** True when the app may get tokens in `tenantId`: its own tenant, or a tenant it was consented into while multi-tenant. */
  private appKnownIn(app: StoredApp, tenantId: string): boolean {
    return app.tenantId === tenantId || (app.multiTenant && !!this.tenants.get(tenantId)?.appConsents.has(app.clientId));
  }

  private consentedScopeNames(app: StoredApp, user: EntraUser, resource: Resource, tenantId: string): Set<string> {
    const prefix = `${resource.id.toLowerCase()}/`;
    const names = new Set<string>();
    // In a customer tenant only that tenant's consent counts, not the user's or admin's consent at home.
    const all = tenantId === app.tenantId ? [...(this.consents.get(`${app.clientId}|${user.oid}`) ?? []), ...app.adminConsented] : [...(this.tenants.get(tenantId)?.appConsents.get(app.clientId) ?? [])];
    for (const entry of all) {
      if (!entry.startsWith(prefix)) continue;
      const name = entry.slice(prefix.length);
      if (name === ".default") resource.scopes.forEach((n) => names.add(n));
      names.add(name);
    }
    return names;
  }

  private publicApp(app: StoredApp): EntraApp {
    const { secret: _secret, adminConsented: _consented, expiredSecrets: _expired, ...rest } = app;
    void _secret;
    void _consented;
    void _expired;
    return { ...rest, redirectUris: [...rest.redirectUris] };
  }

  private sendOAuthError(req: http.IncomingMessage, res: http.ServerResponse, err: OAuthError): void {
    const now = this.now();
    const traceId = randomUUID();
    const correlationId = String(req.headers["client-request-id"] ?? randomUUID());
    const timestamp = entraTimestamp(now);
    sendJson(res, err.status, {
      error: err.error,
      error_description: `AADSTS${err.code}: ${err.text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [err.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.url}/error?code=${err.code}`,
      ...(err.suberror ? { suberror: err.suberror } : {}),
      ...(err.claims ? { claims: err.claims } : {}),
    });
  }

  private errorPage(res: http.ServerResponse, message: string): void {
    sendHtml(res, 400, page("Sign in", `<p>Sorry, but we're having trouble signing you in.</p><p id="message">${escapeHtml(message)}</p>`));
  }

  private loginPage(session: AuthSession, error?: string): string {
    return page(
      "Sign in",
      `${errorLine(error)}<form method="post" action="/${session.tenantId}/login">
<input type="hidden" name="ctx" value="${session.id}">
<label for="username">Email, phone, or Skype</label>
<input id="username" name="login" type="email" autocomplete="username" value="${escapeHtml(session.loginHint ?? "")}">
<label for="password">Password</label>
<input id="password" name="passwd" type="password" autocomplete="current-password">
<button id="next" type="submit">Sign in</button>
</form>`,
    );
  }

  private mfaPage(session: AuthSession, error?: string): string {
    return page(
      "Enter code",
      `${errorLine(error)}<p>Enter the code displayed in your authenticator app.</p>
<form method="post" action="/${session.tenantId}/mfa">
<input type="hidden" name="ctx" value="${session.id}">
<input id="otc" name="otc" type="tel" inputmode="numeric" autocomplete="one-time-code">
<button id="verify" type="submit">Verify</button>
</form>`,
    );
  }

  private consentPage(session: AuthSession): string {
    const items = session.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("");
    return page(
      "Permissions requested",
      `<p>${escapeHtml(session.app.displayName)} needs permission to:</p><ul>${items}</ul>
<form method="post" action="/${session.tenantId}/consent">
<input type="hidden" name="ctx" value="${session.id}">
<button id="accept" name="action" value="accept" type="submit">Accept</button>
<button id="deny" name="action" value="deny" type="submit">Cancel</button>
</form>`,
    );
  }
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function errorLine(error?: string): string {
  return error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : "";
}

/** Entra's redirect-URI match: exact, except that the port of an http loopback URI is ignored. */
function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(requested);
  } catch {
    return false;
  }
  const loopback = (u: URL): boolean => u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  return loopback(a) && loopback(b) && a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search && !b.hash;
}

function withParams(uri: string, params: Record<string, string>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** The `amr` a user's tokens carry: the user's own, else ["pwd","mfa"] with MFA and ["pwd"] without. */
function amrOf(user: EntraUser): string[] {
  return user.amr ? [...user.amr] : user.mfa ? ["pwd", "mfa"] : ["pwd"];
}

/** Key of {@link EntraStandIn.newestRefreshToken}: client and user, plus the issuing tenant when it is not the app's own. */
function refreshTokenKey(clientId: string, username: string, customerTenant?: string): string {
  return [clientId.toLowerCase(), username.toLowerCase(), ...(customerTenant ? [customerTenant] : [])].join("|");
}

function clientInfo(user: EntraUser): string {
  return Buffer.from(JSON.stringify({ uid: user.oid, utid: user.tenantId })).toString("base64url");
}

function pairwiseSub(oid: string, clientId: string): string {
  return sha256(`${oid}|${clientId}`).slice(0, 43);
}

function basicAuth(req: http.IncomingMessage): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const at = decoded.indexOf(":");
  if (at < 0) return undefined;
  return { clientId: decodeURIComponent(decoded.slice(0, at)), secret: decodeURIComponent(decoded.slice(at + 1)) };
}
