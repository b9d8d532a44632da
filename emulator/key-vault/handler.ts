/**
 * One request's way through the vault: the host check, the bearer token,
 * api-version, the firewall, injected faults, RBAC, the operation itself, and
 * the request and write records; errors leave in Key Vault's shape.
 */
import type http from "node:http";
import type { EntraEmulator } from "../entra";
import { requestUrl, sendJson, type LoopbackServer } from "../http";
import { ACTIONS, ROLE_ALLOWS, authenticate, type VaultPolicy } from "./access";
import { VaultError, badParameter, forbiddenByFirewall, forbiddenByRbac, sendVaultError, serviceHeaders } from "./errors";
import type { FaultQueue } from "./faults";
import { route, type SecretRoutes } from "./routes";
import { SECRET_NAME } from "./secret-store";
import type { Operation, VaultRequestRecord, VaultWriteRecord } from "./types";

/** API versions the service accepts (those @azure/keyvault-secrets 4.11 can send). */
export const SUPPORTED_API_VERSIONS: readonly string[] = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"];

/** The vault's addresses, known once its server listens. */
export class VaultAddress {
  constructor(
    /** Vault name (first label of {@link url}). */
    readonly name: string,
    private readonly server: LoopbackServer,
  ) {}

  /** `<name>.vault.localhost:<port>`, the host requests must name. */
  get host(): string {
    return `${this.name}.vault.localhost:${this.port()}`;
  }

  /** Vault URI with trailing slash, e.g. `https://pcsam-test-kv.vault.localhost:41234/`. */
  get url(): string {
    return `https://${this.host}/`;
  }

  /** The token audience / challenge resource, e.g. `https://vault.localhost:41234`. */
  get resource(): string {
    return `https://vault.localhost:${this.port()}`;
  }

  private port(): number {
    if (!this.server.port) throw new Error("KeyVaultEmulator is not started");
    return this.server.port;
  }
}

/** Everything a request may read or change. */
export interface VaultRequestContext {
  address: VaultAddress;
  entra: EntraEmulator;
  /** Lower-cased tenant id. */
  tenantId: string;
  /** The made-up subscription RBAC messages name. */
  subscriptionId: string;
  policy: VaultPolicy;
  faults: FaultQueue;
  routes: SecretRoutes;
  /** Every request, oldest first (no values, no tokens). */
  requests: VaultRequestRecord[];
  /** Every authenticated PUT/PATCH attempt, oldest first (no values). */
  writes: VaultWriteRecord[];
}

/** Answers one request; errors other than {@link VaultError} propagate (a bare 500). */
export async function handleRequest(ctx: VaultRequestContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { address } = ctx;
  const url = requestUrl(req);
  const method = (req.method ?? "GET").toUpperCase();
  const record: VaultRequestRecord = { method, path: url.pathname, status: 0, authenticated: false };
  ctx.requests.push(record);
  let op: Operation | undefined;
  const forbidden = (denied: Operation, claims: Record<string, unknown>): VaultError =>
    forbiddenByRbac({ subscriptionId: ctx.subscriptionId, vaultName: address.name, secretName: denied.name, action: ACTIONS[denied.kind] }, claims);
  try {
    op = route(method, url.pathname);
    record.name = op?.name;
    if ((req.headers.host ?? "").toLowerCase() !== address.host.toLowerCase()) {
      throw badParameter(`The request host '${req.headers.host ?? ""}' does not match this vault; use ${address.url}.`);
    }
    const apiVersion = url.searchParams.get("api-version");
    record.apiVersion = apiVersion ?? undefined;
    const claims = authenticate(req, { entra: ctx.entra, tenantId: ctx.tenantId, resource: address.resource });
    record.authenticated = true;
    record.objectId = String(claims.oid ?? "");
    if (!apiVersion) throw badParameter("The 'api-version' query parameter is missing.");
    if (!SUPPORTED_API_VERSIONS.includes(apiVersion)) {
      throw badParameter(`The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${SUPPORTED_API_VERSIONS[SUPPORTED_API_VERSIONS.length - 1]}).`);
    }
    if (ctx.policy.firewallAddress !== undefined) throw forbiddenByFirewall(address.name, ctx.policy.firewallAddress, claims);
    const fault = ctx.faults.inject(method, op, (denied) => forbidden(denied, claims));
    if (fault === "hang") {
      ctx.faults.hold(res);
      return;
    }
    if (fault === "reset") {
      req.socket.destroy();
      return;
    }
    if (!op) throw new VaultError(404, "NotFound", `The requested path ${url.pathname} is not supported.`);
    if (op.name !== undefined && !SECRET_NAME.test(op.name)) {
      throw badParameter(`The request URI contains an invalid name: ${op.name}`);
    }
    const role = ctx.policy.roles.get(String(claims.oid ?? "").toLowerCase());
    if (!role || !ROLE_ALLOWS[role].has(op.kind)) throw forbidden(op, claims);
    const body = await ctx.routes.execute(req, op, url, apiVersion);
    record.status = body === undefined ? 204 : 200;
    if (op.kind === "set" || op.kind === "update") {
      ctx.writes.push({ method, name: op.name as string, status: 200, version: String(body?.id).split("/").pop() });
    }
    if (body === undefined) {
      res.writeHead(204, serviceHeaders());
      res.end();
    } else if (fault === "truncate") {
      // The operation was carried out; its answer arrives cut off mid-body (an explicit fault, see faults.ts).
      const text = JSON.stringify(body);
      sendCutOff(res, text.slice(0, Math.ceil(text.length / 2)), serviceHeaders());
    } else {
      sendJson(res, 200, body, serviceHeaders());
    }
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    record.status = err.status;
    if (record.authenticated && op?.name && (op.kind === "set" || op.kind === "update")) {
      ctx.writes.push({ method, name: op.name, status: err.status });
    }
    sendVaultError(res, err);
  }
}

/** A 200 whose JSON body ends early: framed by its own Content-Length, so only the JSON is broken. */
function sendCutOff(res: http.ServerResponse, partialBody: string, headers: Record<string, string>): void {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(partialBody), "cache-control": "no-store", ...headers });
  res.end(partialBody);
}
