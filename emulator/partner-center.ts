/**
 * A local stand-in for the Partner Center REST API with App+User tokens from the
 * Entra stand-in: `GET /v1/profiles/organization`; `GET /v1/customers`, paged like
 * the real service (`links.next` with a relative `uri` and the
 * `MS-ContinuationToken` header, `seekOperation=Next`); and the Control Panel
 * Vendor consent API `POST|GET /v1/customers/{id}/applicationconsents` and
 * `DELETE /v1/customers/{id}/applicationconsents/{applicationId}` ("Permission entry
 * already exists." with {@link PartnerCenterEmulator.existingConsentStatus} when the
 * app already has a consent there; a POST makes the app known to that customer
 * tenant at the Entra stand-in with the granted Graph scopes, a DELETE removes it). Like the real service since April 2026 it
 * rejects tokens without MFA (no `amr` value containing `mfa`) with 401 and error code
 * 900421. Errors use Partner Center's `{ code, description, data, source }`.
 *
 * Not verified against the real service: the status of the "Permission entry already
 * exists." answer for an existing consent (real clients match the text; the product
 * accepts the text or a 409), and the default page size of `/v1/customers` (here
 * {@link PartnerCenterEmulator.customersPageSize}).
 *
 * Its option and record shapes are in ./partner-center-types, re-exported here.
 *
 * Never logs; the call log carries no tokens.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { AccessTokenError, type EntraEmulator } from "./entra";
import { LoopbackServer, bearerToken, readBody, requestUrl, sendJson } from "./http";
import type { ApplicationGrant, EmulatedCustomer, OrganizationProfile, PartnerCenterCall, PartnerCenterEmulatorOptions } from "./partner-center-types";

export type { ApplicationGrant, EmulatedCustomer, OrganizationProfile, PartnerCenterCall, PartnerCenterEmulatorOptions } from "./partner-center-types";

/** Error code Partner Center returns for App+User calls without MFA. */
export const MFA_REQUIRED_CODE = "900421";

/** Microsoft Graph's application id (the `enterpriseApplicationId` of Graph grants). */
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** An injected failure: a status (429 gets `Retry-After: 1` unless `retryAfter` says otherwise; null sends none), or a call never answered. */
type Fault = { status: number; retryAfter?: string | null } | "hang";

class PartnerCenterError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    /** The Retry-After to send: undefined = the default for the status, null = none. */
    readonly retryAfter?: string | null,
  ) {
    super(description);
  }
}

/** A Partner Center stand-in. Its scope is `${url}/user_impersonation`. */
export class PartnerCenterEmulator {
  /** Every call, oldest first. */
  readonly calls: PartnerCenterCall[] = [];
  /** The profile `GET /v1/profiles/organization` returns. */
  organization: OrganizationProfile;

  private readonly server: LoopbackServer;
  private readonly entra: EntraEmulator;
  /** Customers `GET /v1/customers` lists, in order. */
  readonly customers: EmulatedCustomer[] = [];
  /** Items per page of `GET /v1/customers` when the request names no `size`. */
  customersPageSize = 40;
  /**
   * The status of the answer to a consent POST for an app already consented there, with the text
   * "Permission entry already exists." Microsoft documents no 409 for this API (200, 201, 400, 401, 403, 404,
   * 500) and real clients match the text, so the status is unverified: 409 by default, 400 to test a client
   * against the other answer the sources allow.
   */
  existingConsentStatus = 409;
  private readonly faults: Fault[] = [];
  /** Application consents per customer id (lower case), per application id (lower case). */
  private readonly consents = new Map<string, Map<string, { applicationId: string; applicationGrants: ApplicationGrant[] }>>();
  /** Continuation tokens of `/v1/customers` → offset of the next page. */
  private readonly continuations = new Map<string, number>();
  /** Responses held open by `hang` faults, ended when the stand-in stops. */
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(options: PartnerCenterEmulatorOptions) {
    this.entra = options.entra;
    this.server = new LoopbackServer((req, res) => this.handle(req, res), options.tls);
    const id = options.organization?.tenantId ?? randomUUID();
    this.organization = {
      id,
      companyName: "Contoso Partner Ltd",
      email: "admin@contoso.example",
      tenantId: id,
      domain: "contoso.example",
      language: "en",
      culture: "en-US",
      defaultAddress: {
        country: "US",
        city: "Redmond",
        state: "WA",
        addressLine1: "1 Contoso Way",
        postalCode: "98052",
        firstName: "Avery",
        lastName: "Admin",
        phoneNumber: "4255550100",
      },
      ...options.organization,
      attributes: { objectType: "OrganizationProfile", etag: randomUUID(), ...options.organization?.attributes },
    };
  }

  /** API endpoint, e.g. `https://localhost:41234` (no trailing slash). */
  get url(): string {
    if (!this.server.port) throw new Error("PartnerCenterEmulator is not started");
    return `https://localhost:${this.server.port}`;
  }

  /** Token audience: the endpoint's origin. */
  get resource(): string {
    return this.url;
  }

  /** Calls to the organization profile that succeeded. */
  get successfulCalls(): number {
    return this.calls.filter((c) => c.status === 200).length;
  }

  /** Starts listening on `port` (default a free one). */
  async start(port?: number): Promise<void> {
    await this.server.start(port);
    this.entra.registerResource(this.resource, ["user_impersonation"]);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await this.server.stop();
  }

  /**
   * The next `count` authenticated calls fail with `status` (e.g. 429, 500, 503), or with `hang` are never answered.
   * A 429 carries `Retry-After: 1` unless `options.retryAfter` gives another value, or null for none.
   */
  failNext(count: number, status: number | "hang", options: { retryAfter?: string | null } = {}): void {
    for (let i = 0; i < count; i++) this.faults.push(status === "hang" ? "hang" : { status, ...options });
  }

  /** Adds a customer (a tenant of its own; its id is the tenant id). */
  addCustomer(customer: Partial<EmulatedCustomer> = {}): EmulatedCustomer {
    const id = (customer.id ?? randomUUID()).toLowerCase();
    const n = this.customers.length + 1;
    const added = { id, companyName: customer.companyName ?? `Customer ${n} Ltd`, domain: customer.domain ?? `customer${n}.onmicrosoft.com` };
    this.customers.push(added);
    // A customer has its own Entra tenant (the same as startStandIns' `customers`, when the test names one of those).
    this.entra.addTenant(id, { domains: [added.domain], displayName: added.companyName });
    return added;
  }

  /**
   * Consents an application into a customer's tenant as `POST …/applicationconsents`
   * does, with Microsoft Graph delegated `graphScopes` (bare names such as `User.Read`):
   * Partner Center lists the consent and the app is in the customer's Entra tenant,
   * so both agree on which customers are consented.
   */
  consentApplication(customerId: string, applicationId: string, graphScopes: string[]): void {
    const customer = this.customer(customerId);
    this.entra.consentAppInTenant(customer.id, applicationId, graphScopes);
    const existing = this.consents.get(customer.id) ?? new Map();
    existing.set(applicationId.toLowerCase(), { applicationId, applicationGrants: [{ enterpriseApplicationId: GRAPH_APP_ID, scope: graphScopes.join(",") }] });
    this.consents.set(customer.id, existing);
  }

  /** The application consents of a customer, as `GET …/applicationconsents` lists them. */
  applicationConsents(customerId: string): Array<{ applicationId: string; applicationGrants: ApplicationGrant[] }> {
    return [...(this.consents.get(customerId.toLowerCase())?.values() ?? [])].map((c) => structuredClone(c));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const header = (name: string): string | undefined => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : undefined);
    const call: PartnerCenterCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      search: url.search,
      status: 0,
      requestId: header("ms-requestid"),
      correlationId: header("ms-correlationid"),
      authorized: req.headers.authorization !== undefined,
    };
    this.calls.push(call);
    const headers = { "ms-correlationid": call.correlationId ?? randomUUID(), "ms-requestid": call.requestId ?? randomUUID() };
    try {
      const route = this.route(call.method, url.pathname.replace(/\/+$/, ""));
      const claims = this.authenticate(req);
      call.user = typeof claims.upn === "string" ? claims.upn : undefined;
      const fault = this.faults.shift();
      if (fault === "hang") {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      if (fault) throw new PartnerCenterError(fault.status, String(fault.status), `Injected failure with status ${fault.status}.`, fault.retryAfter);
      const answer = await route(req, url);
      call.status = answer.status;
      if (answer.status === 204) {
        res.writeHead(204, headers);
        res.end();
      } else sendJson(res, answer.status, answer.body, headers);
    } catch (err) {
      if (!(err instanceof PartnerCenterError)) throw err;
      call.status = err.status;
      call.code = err.code;
      const extra: Record<string, string> = err.status === 401 ? { "www-authenticate": `Bearer realm="${this.url}"` } : {};
      const retryAfter = err.retryAfter === undefined ? (err.status === 429 ? "1" : null) : err.retryAfter;
      if (retryAfter !== null) extra["retry-after"] = retryAfter;
      sendJson(res, err.status, { code: err.code, description: err.description, data: [], source: "PartnerFD" }, { ...headers, ...extra });
    }
  }

  /** The handler for a method and path; throws 404/405 before authentication, as a gateway would. */
  private route(method: string, path: string): (req: http.IncomingMessage, url: URL) => Promise<{ status: number; body?: unknown }> {
    const only = (allowed: string, handler: (req: http.IncomingMessage, url: URL) => Promise<{ status: number; body?: unknown }>) => {
      if (method !== allowed) throw new PartnerCenterError(405, "MethodNotAllowed", "The requested method is not allowed.");
      return handler;
    };
    if (path === "/v1/profiles/organization") return only("GET", async () => ({ status: 200, body: this.organization }));
    if (path === "/v1/customers") return only("GET", async (req, url) => ({ status: 200, body: this.customersPage(req, url) }));
    const consents = /^\/v1\/customers\/([^/]+)\/applicationconsents(?:\/([^/]+))?$/i.exec(path);
    if (consents) {
      const customerId = decodeURIComponent(consents[1]!).toLowerCase();
      const applicationId = consents[2] === undefined ? undefined : decodeURIComponent(consents[2]).toLowerCase();
      if (applicationId !== undefined) return only("DELETE", async () => this.deleteConsent(customerId, applicationId));
      if (method === "GET") return async () => ({ status: 200, body: this.collection(this.applicationConsents(this.customer(customerId).id), `/customers/${customerId}/applicationconsents`) });
      return only("POST", async (req) => this.createConsent(customerId, req));
    }
    throw new PartnerCenterError(404, "NotFound", `The requested resource ${path} was not found.`);
  }

  private customer(customerId: string): EmulatedCustomer {
    const customer = this.customers.find((c) => c.id === customerId);
    if (!customer) throw new PartnerCenterError(404, "600039", `Customer ${customerId} was not found.`);
    return customer;
  }

  private collection(items: unknown[], selfUri: string, next?: { uri: string; token: string }): Record<string, unknown> {
    return {
      totalCount: items.length,
      items,
      links: {
        self: { uri: selfUri, method: "GET", headers: [] },
        ...(next ? { next: { uri: next.uri, method: "GET", headers: [{ key: "MS-ContinuationToken", value: next.token }] } } : {}),
      },
      attributes: { objectType: "Collection" },
    };
  }

  private customersPage(req: http.IncomingMessage, url: URL): Record<string, unknown> {
    const sizeParam = url.searchParams.get("size");
    const size = sizeParam === null ? this.customersPageSize : Number(sizeParam);
    if (!Number.isInteger(size) || size < 1) throw new PartnerCenterError(400, "400", `The size ${sizeParam} is not valid.`);
    let offset = 0;
    if (url.searchParams.get("seekOperation") === "Next") {
      const token = req.headers["ms-continuationtoken"];
      const known = typeof token === "string" ? this.continuations.get(token) : undefined;
      if (known === undefined) throw new PartnerCenterError(400, "400", "The continuation token is missing or not valid.");
      offset = known;
    }
    const items = this.customers.slice(offset, offset + size).map((c) => ({
      id: c.id,
      commerceId: c.id,
      companyProfile: {
        tenantId: c.id,
        domain: c.domain,
        companyName: c.companyName,
        links: { self: { uri: `/customers/${c.id}/profiles/company`, method: "GET", headers: [] } },
        attributes: { objectType: "CustomerCompanyProfile" },
      },
      relationshipToPartner: "reseller",
      links: { self: { uri: `/customers/${c.id}`, method: "GET", headers: [] } },
      attributes: { objectType: "Customer" },
    }));
    let next: { uri: string; token: string } | undefined;
    if (offset + size < this.customers.length) {
      const token = randomUUID();
      this.continuations.set(token, offset + size);
      next = { uri: `/customers?size=${size}&seekOperation=Next`, token };
    }
    return this.collection(items, `/customers?size=${size}`, next);
  }

  private async createConsent(customerId: string, req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const customer = this.customer(customerId);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(req)).toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new PartnerCenterError(400, "400", "The request body is not valid JSON.");
    }
    const grants = body?.applicationGrants;
    if (typeof body?.applicationId !== "string" || !Array.isArray(grants) || grants.length === 0) {
      throw new PartnerCenterError(400, "400", "applicationId and at least one applicationGrant are required.");
    }
    const applicationGrants: ApplicationGrant[] = [];
    for (const g of grants as Array<Record<string, unknown>>) {
      if (typeof g?.enterpriseApplicationId !== "string" || typeof g.scope !== "string" || g.scope.trim() === "") {
        throw new PartnerCenterError(400, "400", "Each applicationGrant needs an enterpriseApplicationId and a scope.");
      }
      applicationGrants.push({ enterpriseApplicationId: g.enterpriseApplicationId, scope: g.scope });
    }
    const applicationId = body.applicationId.toLowerCase();
    const existing = this.consents.get(customer.id) ?? new Map();
    if (existing.has(applicationId)) throw new PartnerCenterError(this.existingConsentStatus, String(this.existingConsentStatus), "Permission entry already exists.");
    // What the consent does in the customer tenant: the app's service principal appears there with the grants.
    const graphScopes = applicationGrants.filter((g) => g.enterpriseApplicationId.toLowerCase() === GRAPH_APP_ID).flatMap((g) => g.scope.split(",").map((n) => n.trim()).filter(Boolean));
    try {
      this.entra.consentAppInTenant(customer.id, applicationId, graphScopes);
    } catch {
      throw new PartnerCenterError(400, "400", `The application ${body.applicationId} was not found.`);
    }
    existing.set(applicationId, { applicationId: body.applicationId, applicationGrants });
    this.consents.set(customer.id, existing);
    return { status: 201, body: { applicationId: body.applicationId, applicationGrants } };
  }

  private async deleteConsent(customerId: string, applicationId: string): Promise<{ status: number }> {
    this.customer(customerId);
    if (!this.consents.get(customerId)?.delete(applicationId)) throw new PartnerCenterError(404, "404", "Permission entry not found.");
    this.entra.revokeAppConsentInTenant(customerId, applicationId);
    return { status: 204 };
  }

  private authenticate(req: http.IncomingMessage): Record<string, unknown> {
    const token = bearerToken(req);
    if (!token) throw new PartnerCenterError(401, "Unauthorized", "Authorization header with a Bearer token is required.");
    let claims: Record<string, unknown>;
    try {
      claims = this.entra.verifyAccessToken(token, { audience: this.resource });
    } catch (err) {
      if (!(err instanceof AccessTokenError)) throw err;
      throw new PartnerCenterError(401, "Unauthorized", `The access token is not valid: ${err.reason}.`);
    }
    const scopes = String(claims.scp ?? "").split(" ");
    if (!scopes.includes("user_impersonation")) {
      throw new PartnerCenterError(401, "Unauthorized", "App+User token with the user_impersonation scope is required for this API.");
    }
    const amr = Array.isArray(claims.amr) ? claims.amr : [];
    // Partner Center's own check accepts any amr value containing "mfa" (e.g. mfa, ngcmfa).
    if (!amr.some((value) => String(value).includes("mfa"))) {
      throw new PartnerCenterError(
        401,
        MFA_REQUIRED_CODE,
        "Multifactor authentication (MFA) is required for App+User calls to Partner Center APIs. The access token has no MFA claim: sign in again with MFA and use the token from that sign-in.",
      );
    }
    return claims;
  }
}
