/**
 * A local stand-in for the Partner Center REST API: `GET /v1/profiles/organization`
 * with App+User tokens from the Entra stand-in. Like the real service since
 * April 2026 it rejects tokens without MFA (`amr` lacking `mfa`) with 401 and
 * error code 900421. Errors use Partner Center's `{ code, description, data, source }`.
 *
 * Never logs; the call log carries no tokens.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { AccessTokenError, type EntraStandIn } from "./entra";
import { LoopbackServer, bearerToken, requestUrl, sendJson, type ServerTls } from "./http";

/** The organization profile the stand-in returns. */
export interface OrganizationProfile {
  id: string;
  companyName: string;
  email: string;
  tenantId?: string;
  domain?: string;
  language?: string;
  culture?: string;
  defaultAddress: {
    country: string;
    city: string;
    state?: string;
    addressLine1: string;
    postalCode: string;
    firstName?: string;
    lastName?: string;
    phoneNumber?: string;
  };
  attributes: { objectType: "OrganizationProfile"; etag?: string };
}

/** Options of {@link PartnerCenterStandIn}. */
export interface PartnerCenterStandInOptions {
  tls: ServerTls;
  entra: EntraStandIn;
  /** Fields to override in the default Contoso profile. */
  organization?: Partial<OrganizationProfile>;
}

/** One API call (no tokens). */
export interface PartnerCenterCall {
  method: string;
  path: string;
  status: number;
  /** Partner Center error code when the call failed, e.g. "900421". */
  code?: string;
  /** `upn` of a token that verified. */
  user?: string;
}

/** Error code Partner Center returns for App+User calls without MFA. */
export const MFA_REQUIRED_CODE = "900421";

class PartnerCenterError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** A Partner Center stand-in. Its scope is `${url}/user_impersonation`. */
export class PartnerCenterStandIn {
  /** Every call, oldest first. */
  readonly calls: PartnerCenterCall[] = [];
  /** The profile `GET /v1/profiles/organization` returns. */
  organization: OrganizationProfile;

  private readonly server: LoopbackServer;
  private readonly entra: EntraStandIn;
  private readonly faults: Array<number | "hang"> = [];
  /** Responses held open by `hang` faults, ended when the stand-in stops. */
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(options: PartnerCenterStandInOptions) {
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
    if (!this.server.port) throw new Error("PartnerCenterStandIn is not started");
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

  async start(): Promise<void> {
    await this.server.start();
    this.entra.registerResource(this.resource, ["user_impersonation"]);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await this.server.stop();
  }

  /** The next `count` authenticated calls fail with `status` (e.g. 429, 500, 503), or with `hang` are never answered. */
  failNext(count: number, status: number | "hang"): void {
    for (let i = 0; i < count; i++) this.faults.push(status);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = requestUrl(req);
    const call: PartnerCenterCall = { method: req.method ?? "GET", path: url.pathname, status: 0 };
    this.calls.push(call);
    const correlationId = String(req.headers["ms-correlationid"] ?? randomUUID());
    const headers = { "ms-correlationid": correlationId, "ms-requestid": String(req.headers["ms-requestid"] ?? randomUUID()) };
    try {
      if (url.pathname.replace(/\/+$/, "") !== "/v1/profiles/organization") {
        throw new PartnerCenterError(404, "NotFound", `The requested resource ${url.pathname} was not found.`);
      }
      if (call.method !== "GET") throw new PartnerCenterError(405, "MethodNotAllowed", "The requested method is not allowed.");
      const claims = this.authenticate(req);
      call.user = typeof claims.upn === "string" ? claims.upn : undefined;
      const fault = this.faults.shift();
      if (fault === "hang") {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      if (fault) throw new PartnerCenterError(fault, String(fault), `Injected failure with status ${fault}.`);
      call.status = 200;
      sendJson(res, 200, this.organization, headers);
    } catch (err) {
      if (!(err instanceof PartnerCenterError)) throw err;
      call.status = err.status;
      call.code = err.code;
      const extra: Record<string, string> = err.status === 401 ? { "www-authenticate": `Bearer realm="${this.url}"` } : {};
      if (err.status === 429) extra["retry-after"] = "1";
      sendJson(res, err.status, { code: err.code, description: err.description, data: [], source: "PartnerFD" }, { ...headers, ...extra });
    }
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
    if (!amr.includes("mfa")) {
      throw new PartnerCenterError(
        401,
        MFA_REQUIRED_CODE,
        "Multifactor authentication (MFA) is required for App+User calls to Partner Center APIs. The access token has no MFA claim: sign in again with MFA and use the token from that sign-in.",
      );
    }
    return claims;
  }
}
