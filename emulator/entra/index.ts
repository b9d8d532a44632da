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
 * must prove a client stored the newest token; {@link EntraEmulator.refreshTokenUses}
 * and {@link EntraEmulator.newestRefreshToken} prove it without that.
 *
 * Customer tenants (GDAP): a tenant can be named by id or by a verified domain
 * in the path. A multi-tenant app is unknown to a customer tenant (AADSTS700016)
 * until {@link EntraEmulator.consentAppInTenant} adds it — what Partner Center's
 * applicationconsents does — and a partner user's refresh token is redeemed
 * there only if the user holds a GDAP role in it ({@link EntraEmulator.grantGdapRole};
 * otherwise AADSTS50020). Tokens issued there carry `tid` = the customer.
 *
 * Also serves an App Service-style managed-identity endpoint, so an unchanged
 * `DefaultAzureCredential` (with {@link EntraEmulator.managedIdentityEnv}) gets
 * tokens for the Key Vault stand-in.
 *
 * This module is the stand-in's public face: {@link EntraEmulator} as a thin
 * facade (start/stop, url, the test-facing methods delegating to the modules
 * that do the work) and every exported type; its token-facing methods (faults,
 * the clock, the refresh-token lens) come from the base class in
 * ./token-controls. The work is in ./directory, ./authorize-pages,
 * ./token-endpoint, ./tokens, ./errors, ./managed-identity and ./routes, over
 * the shared private state of ./state.
 *
 * Never logs; error bodies never contain a secret, code or token.
 */
import type { TokenCredential } from "@azure/core-auth";
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { LoopbackServer } from "../http";
import type { Claims } from "../jwt";
import * as authorizePages from "./authorize-pages";
import * as directory from "./directory";
import * as managedIdentity from "./managed-identity";
import { handle } from "./routes";
import { createState, GRAPH, GRAPH_SCOPES, type EntraState } from "./state";
import { EntraTokenControls } from "./token-controls";
import * as tokens from "./tokens";
import type {
  AddTenantOptions,
  AddUserOptions,
  EntraApp,
  EntraEmulatorOptions,
  EntraUser,
  ManagedIdentityRequestRecord,
  RegisterAppOptions,
  SignInOptions,
  EmulatorCredentialOptions,
  TokenRequestRecord,
} from "./types";

export { AccessTokenError } from "./errors";
export type {
  AddTenantOptions,
  AddUserOptions,
  AuthorizeFault,
  EntraApp,
  EntraEmulatorOptions,
  EntraUser,
  ManagedIdentityRequestRecord,
  RefreshTokenInvalidation,
  RegisterAppOptions,
  SignInOptions,
  EmulatorCredentialOptions,
  TokenFault,
  TokenRequestRecord,
} from "./types";

/**
 * An Entra ID stand-in. Create, {@link start}, register apps and users, point
 * MSAL at `${url}/${tenantId}` with `knownAuthorities: [new URL(url).host]`.
 */
export class EntraEmulator extends EntraTokenControls {
  /** Object id of the deployer's managed identity (Key Vault officer by default). */
  readonly managedIdentityObjectId = randomUUID();
  /** Client id of the managed identity. */
  readonly managedIdentityClientId = randomUUID();
  /** Lifetime of issued access tokens, in seconds. */
  accessTokenLifetimeSeconds: number;
  /** Every token-endpoint request, oldest first (no secrets). */
  readonly tokenRequests: TokenRequestRecord[] = [];
  /**
   * Every request to this Entra ID (method and path, never a query or body),
   * oldest first: the OpenID metadata, token and managed-identity requests alike,
   * so tests can count a command's round trips.
   */
  readonly requests: Array<{ method: string; path: string }> = [];
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
  /** The plain-HTTP server of the sign-in pages, with {@link EntraEmulatorOptions.signInPagesOverHttp}. */
  private readonly pagesServer?: LoopbackServer;
  /** The private state every module works on. */
  protected readonly state: EntraState = createState(this);

  constructor(options: EntraEmulatorOptions) {
    super();
    const logged = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.requests.push({ method: req.method ?? "GET", path: new URL(req.url ?? "/", "https://entra.invalid").pathname });
      return handle(this.state, req, res);
    };
    this.server = new LoopbackServer(logged, options.tls);
    if (options.signInPagesOverHttp) this.pagesServer = new LoopbackServer(logged);
    this.accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
    this.singleUseRefreshTokens = options.singleUseRefreshTokens ?? false;
    this.registerResource(GRAPH, GRAPH_SCOPES);
  }

  /** Authority host, e.g. `https://localhost:41234` (no trailing slash). */
  get url(): string {
    if (!this.server.port) throw new Error("EntraEmulator is not started");
    return `https://localhost:${this.server.port}`;
  }

  /**
   * Where the authorize endpoint and its pages are served, as the OpenID
   * configuration names it: {@link url}, or `http://localhost:<port>` with
   * {@link EntraEmulatorOptions.signInPagesOverHttp}.
   */
  get signInPagesUrl(): string {
    if (!this.pagesServer) return this.url;
    if (!this.pagesServer.port) throw new Error("EntraEmulator is not started");
    return `http://localhost:${this.pagesServer.port}`;
  }

  /** Starts listening on `port` (default a free one); the plain-HTTP pages, if any, on a free port. */
  async start(port?: number): Promise<void> {
    await this.server.start(port);
    try {
      await this.pagesServer?.start();
    } catch (err) {
      await this.server.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.server.stop(), this.pagesServer?.stop()]);
  }

  /** The authorize URL of the newest sign-in whose pages were opened and not finished, if any. */
  pendingSignInUrl(): string | undefined {
    return authorizePages.pendingSignInUrl(this.state);
  }

  /** As {@link pendingSignInUrl}, and closes that sign-in's open pages, since it is finished elsewhere. */
  takePendingSignInUrl(): string | undefined {
    return authorizePages.pendingSignInUrl(this.state, true);
  }

  /** Adds a tenant (registerApp and addUser add theirs implicitly). The first one hosts the managed identity. */
  addTenant(tenantId: string, options: AddTenantOptions = {}): void {
    directory.addTenant(this.state, tenantId, options);
  }

  /** The tenant id for an id or a verified domain, as Entra resolves the authority path; undefined when unknown. */
  resolveTenant(idOrDomain: string): string | undefined {
    return directory.resolveTenant(this.state, idOrDomain);
  }

  /**
   * Puts a multi-tenant app into a customer tenant with delegated scopes granted
   * for the whole tenant (what Partner Center's applicationconsents does, and an
   * admin consent in that tenant). Scopes are full (`https://graph.microsoft.com/User.Read`,
   * `…/.default`) or bare Graph names (`User.Read`). Replaces an earlier consent.
   */
  consentAppInTenant(tenantId: string, clientId: string, scopes: string[]): void {
    directory.consentAppInTenant(this.state, tenantId, clientId, scopes);
  }

  /** The scopes an app was consented to in a tenant (full scope strings), or undefined when it is not there. */
  appConsentInTenant(tenantId: string, clientId: string): string[] | undefined {
    return directory.appConsentInTenant(this.state, tenantId, clientId);
  }

  /** Removes an app from a customer tenant (its tokens there fail with AADSTS700016 again). True if it was there. */
  revokeAppConsentInTenant(tenantId: string, clientId: string): boolean {
    return directory.revokeAppConsentInTenant(this.state, tenantId, clientId);
  }

  /**
   * Gives a partner user (by UPN) a GDAP role in a customer tenant: an active
   * GDAP relationship whose security group, with `roles`, has the user as a member.
   */
  grantGdapRole(customerTenantId: string, username: string, roles: string[] = ["Directory Readers"]): void {
    directory.grantGdapRole(this.state, customerTenantId, username, roles);
  }

  /** Takes a partner user's GDAP roles in a customer tenant away (relationship ended or removed from the group). */
  revokeGdapRole(customerTenantId: string, username: string): boolean {
    return directory.revokeGdapRole(this.state, customerTenantId, username);
  }

  /**
   * The customer tenant's Conditional Access (or cross-tenant access settings) answers the partner's users with
   * this AADSTS code (53003, 50177, 50178, 50076, 50079, 50078, 90072, 500213, 530034 …) at its token endpoint,
   * once the user's GDAP access is established; undefined removes the policy.
   */
  setConditionalAccess(tenantId: string, code: number | undefined): void {
    directory.setConditionalAccess(this.state, tenantId, code);
  }

  /** Makes `alias` (e.g. the emulated Graph's origin) name the same resource as `target` (default Microsoft Graph). */
  registerResourceAlias(alias: string, target: string = GRAPH): void {
    directory.registerResourceAlias(this.state, alias, target);
  }

  /** Registers a confidential client in a tenant. */
  registerApp(options: RegisterAppOptions): EntraApp {
    return directory.registerApp(this.state, options);
  }

  /** The registered app with this client id (secret excluded). */
  app(clientId: string): EntraApp | undefined {
    return directory.findApp(this.state, clientId);
  }

  /** Changes an app's sign-in audience (multi-tenant or not), as `pulumi up` with `multiTenant` does. */
  setMultiTenant(clientId: string, multiTenant: boolean): void {
    directory.setMultiTenant(this.state, clientId, multiTenant);
  }

  /** Replaces an app's client secret (the old one stops working at once). */
  setClientSecret(clientId: string, newSecret: string): void {
    directory.setClientSecret(this.state, clientId, newSecret);
  }

  /**
   * The app's current client secret passes its end date: token requests that
   * present it get 401 invalid_client AADSTS7000222 from now on. `replacement`
   * becomes the valid secret (as `pulumi up` adds one); without it none is valid.
   */
  expireClientSecret(clientId: string, replacement?: string): void {
    directory.expireClientSecret(this.state, clientId, replacement);
  }

  /** Registers a certificate (PEM) on the app as a key credential (as a rotation by `pulumi up` does); its other certificates stay valid. */
  addAppCertificate(clientId: string, certificatePem: string): void {
    directory.addAppCertificate(this.state, clientId, certificatePem);
  }

  /** Removes a certificate (PEM) from the app: assertions signed with its key fail with AADSTS700027. True if it was registered. */
  removeAppCertificate(clientId: string, certificatePem: string): boolean {
    return directory.removeAppCertificate(this.state, clientId, certificatePem);
  }

  /** Adds a user to a tenant. */
  addUser(options: AddUserOptions): EntraUser {
    return directory.addUser(this.state, options);
  }

  /**
   * Makes a resource (an API's identifier URI, e.g. `https://localhost:1234`)
   * known to every tenant, with its delegated scope names (none = any name).
   * Microsoft Graph is known from the start.
   */
  registerResource(resource: string, scopes: string[] = []): void {
    directory.registerResource(this.state, resource, scopes);
  }

  /**
   * Environment for `DefaultAzureCredential` to use this stand-in's
   * managed-identity endpoint (App Service style), in-process or in a child.
   */
  managedIdentityEnv(): Record<string, string> {
    return managedIdentity.managedIdentityEnv(this.state);
  }

  /** A test-side credential minting managed-identity (or `objectId`) tokens directly, without network. */
  credential(options: EmulatorCredentialOptions = {}): TokenCredential {
    return managedIdentity.credential(this.state, options);
  }

  /**
   * Verifies an access token issued here: signature, v1 issuer of a known
   * tenant, audience (trailing slash ignored), nbf/exp with 5 min skew.
   * Returns the claims or throws an {@link AccessTokenError}.
   */
  verifyAccessToken(jwt: string, expected: { audience: string; tenantId?: string }): Claims {
    return tokens.verifyAccessToken(this.state, jwt, expected);
  }

  /**
   * Drives the sign-in pages like a browser would (plain fetch, manual
   * redirects) and resolves with the URL Entra redirects back to — the
   * redirect URI with `code`/`error` and `state`. Throws with the page's
   * error text when a page shows one. Only `response_mode=query`.
   */
  async signIn(authorizeUrl: string, options: SignInOptions): Promise<URL> {
    return authorizePages.signIn(this.state, authorizeUrl, options);
  }
}
