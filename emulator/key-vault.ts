/**
 * A local stand-in for the Azure Key Vault secrets REST API, as
 * @azure/keyvault-secrets 4.11 speaks it: the bearer challenge, Azure RBAC
 * (Secrets Officer / Secrets User), versions with attributes and tags, paged
 * listings, the service's error shapes and injectable faults.
 *
 * The vault URI has the real shape `https://<name>.vault.localhost:<port>/` and
 * the challenge names the resource `https://vault.localhost:<port>` — the
 * request host must be a subdomain of the challenge resource or the SDK
 * refuses the challenge (keyvault-common's verifyChallengeResource). The
 * loopback guard resolves `*.localhost` to 127.0.0.1 (RFC 6761).
 *
 * Soft delete is always on, as in the stack's vaults: DELETE moves a secret to
 * the deleted state (GET `deletedsecrets/{name}`, POST `…/recover`, DELETE
 * `deletedsecrets/{name}` purges); a deleted name answers 404 SecretNotFound to
 * reads and 409 ObjectIsDeletedButRecoverable to writes. Deletion and recovery
 * take effect at once (the real service finishes them asynchronously, a few
 * seconds later). A firewall can refuse every request with the real
 * ForbiddenByFirewall 403, and faults can hang or reset a request.
 *
 * Never logs; the request and write logs carry no secret values or tokens.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { AccessTokenError, type EntraStandIn } from "./entra";
import { LoopbackServer, bearerToken, randomHex, readBody, requestUrl, sendJson, type ServerTls } from "./http";

/** Options of {@link KeyVaultStandIn}. */
export interface KeyVaultStandInOptions {
  tls: ServerTls;
  entra: EntraStandIn;
  /** The vault's tenant: tokens must come from it. */
  tenantId: string;
  /** Vault name, the first label of the URI (default `pcsam-test-kv`). */
  name?: string;
}

/** Key Vault Secrets Officer (read, write, list) or Key Vault Secrets User (read, list). */
export type VaultRole = "officer" | "user";

/** Attributes for {@link KeyVaultStandIn.setSecret}. */
export interface SeedSecretOptions {
  contentType?: string;
  expiresOn?: Date;
  notBefore?: Date;
  enabled?: boolean;
  tags?: Record<string, string>;
  createdOn?: Date;
  updatedOn?: Date;
}

/** One stored secret version, as tests inspect it. */
export interface SecretVersion {
  name: string;
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  expiresOn?: Date;
  notBefore?: Date;
  createdOn: Date;
  updatedOn: Date;
}

/** Which requests a fault applies to. */
export interface VaultFaultFilter {
  /** HTTP method, e.g. `PUT`. */
  method?: string;
  /** Secret name. */
  name?: string;
}

/** One request as the vault saw it (no values, no tokens). */
export interface VaultRequestRecord {
  method: string;
  path: string;
  name?: string;
  /** The api-version query parameter, if any. */
  apiVersion?: string;
  status: number;
  /** A valid bearer token was presented. */
  authenticated: boolean;
  objectId?: string;
}

/** One authenticated write attempt. */
export interface VaultWriteRecord {
  method: string;
  name: string;
  status: number;
  /** The new version when the write succeeded. */
  version?: string;
}

interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

/** Options of {@link KeyVaultStandIn.failNext}. */
export interface VaultFaultOptions {
  /** Sent as `Retry-After` (seconds) with a 429. Real 429s often carry none, so by default none is sent. */
  retryAfterSeconds?: number;
}

interface Fault {
  remaining: number;
  /** An HTTP status, or `hang` (accept, never answer) or `reset` (drop the connection). */
  status: number | "hang" | "reset";
  filter: VaultFaultFilter;
  options: VaultFaultOptions;
}

interface Operation {
  kind: "set" | "get" | "list" | "versions" | "update" | "delete" | "getDeleted" | "listDeleted" | "recover" | "purge";
  name?: string;
  version?: string;
}

/** A secret in the deleted state. */
interface DeletedEntry {
  versions: StoredVersion[];
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** A deleted secret as tests inspect it. */
export interface DeletedSecretView {
  name: string;
  deletedDate: Date;
  scheduledPurgeDate: Date;
  /** How many versions a recovery would bring back. */
  versionCount: number;
}

/** API versions the service accepts (those @azure/keyvault-secrets 4.11 can send). */
export const SUPPORTED_API_VERSIONS: readonly string[] = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"];
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;
const MAX_TAGS = 15;
const PAGE_SIZE = 25;

const ACTIONS: Record<Operation["kind"], string> = {
  set: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
  get: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  list: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  versions: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  update: "Microsoft.KeyVault/vaults/secrets/writeMetadata/action",
  delete: "Microsoft.KeyVault/vaults/secrets/delete",
  getDeleted: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  listDeleted: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  recover: "Microsoft.KeyVault/vaults/secrets/recover/action",
  purge: "Microsoft.KeyVault/vaults/secrets/purge/action",
};

/** Secrets Officer may do everything with secrets; Secrets User may read them and their metadata (deleted ones included). */
const ROLE_ALLOWS: Record<VaultRole, ReadonlySet<Operation["kind"]>> = {
  officer: new Set(["set", "get", "list", "versions", "update", "delete", "getDeleted", "listDeleted", "recover", "purge"]),
  user: new Set(["get", "list", "versions", "getDeleted", "listDeleted"]),
};

/** Days a deleted secret stays recoverable (the stack's softDeleteRetentionInDays default). */
const RETENTION_DAYS = 90;

/** An error in Key Vault's `{ error: { code, message, innererror? } }` shape. */
class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function epoch(date: Date | undefined): number | undefined {
  return date ? Math.floor(date.getTime() / 1000) : undefined;
}

function toDate(seconds: number | undefined): Date | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}

/** A Key Vault (secrets) stand-in. */
export class KeyVaultStandIn {
  /** Vault name (first label of {@link url}). */
  readonly name: string;
  /** Every request, oldest first (no values, no tokens). */
  readonly requests: VaultRequestRecord[] = [];
  /** Every authenticated PUT/PATCH attempt, oldest first (no values). */
  readonly writes: VaultWriteRecord[] = [];

  private readonly server: LoopbackServer;
  private readonly entra: EntraStandIn;
  private readonly tenantId: string;
  private readonly secrets = new Map<string, StoredVersion[]>();
  private readonly deleted = new Map<string, DeletedEntry>();
  private firewallAddress?: string;
  /** Responses held open by `hang` faults, ended when the stand-in stops. */
  private readonly hanging = new Set<http.ServerResponse>();
  /** Secret names are case-insensitive; ids keep the casing of the first write. */
  private readonly displayNames = new Map<string, string>();
  private readonly roles = new Map<string, VaultRole>();
  private readonly faults: Fault[] = [];
  private readonly subscriptionId = randomUUID();

  constructor(options: KeyVaultStandInOptions) {
    this.entra = options.entra;
    this.tenantId = options.tenantId.toLowerCase();
    this.name = options.name ?? "pcsam-test-kv";
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(this.name)) throw new Error(`invalid vault name ${this.name}`);
    this.server = new LoopbackServer((req, res) => this.handle(req, res), options.tls);
    this.roles.set(options.entra.managedIdentityObjectId, "officer");
  }

  /** Vault URI with trailing slash, e.g. `https://pcsam-test-kv.vault.localhost:41234/`. */
  get url(): string {
    return `https://${this.host}/`;
  }

  /** The token audience / challenge resource, e.g. `https://vault.localhost:41234`. */
  get resource(): string {
    return `https://vault.localhost:${this.port()}`;
  }

  /** Number of successful writes through the API (seeding excluded). */
  get writeCount(): number {
    return this.writes.filter((w) => w.status === 200).length;
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

  /** Assigns a data-plane role to a principal (object id). */
  grant(objectId: string, role: VaultRole): void {
    this.roles.set(objectId.toLowerCase(), role);
  }

  /** Removes a principal's role. */
  revoke(objectId: string): void {
    this.roles.delete(objectId.toLowerCase());
  }

  /**
   * The next `count` authenticated requests matching `filter` fail with
   * `status` in the service's shape: 403 as RBAC propagation (ForbiddenByRbac),
   * 409 ObjectIsDeletedButRecoverable (as if the secret had just been deleted),
   * 429 Throttled (no `Retry-After` unless `options.retryAfterSeconds`), 500,
   * 503 (…); or, with `hang`, are accepted and never answered (until {@link stop});
   * or, with `reset`, have their connection dropped.
   */
  failNext(count: number, status: number | "hang" | "reset", filter: VaultFaultFilter = {}, options: VaultFaultOptions = {}): void {
    this.faults.push({ remaining: count, status, filter, options });
  }

  /**
   * Turns the vault firewall on: every authenticated request is refused with
   * the real 403 ForbiddenByFirewall naming `clientAddress`. `null` turns it off.
   */
  setFirewall(clientAddress: string | null): void {
    this.firewallAddress = clientAddress ?? undefined;
  }

  /** Soft-deletes a secret directly (no auth, like someone deleting it in the portal). */
  deleteSecret(name: string, deletedOn = new Date()): DeletedSecretView {
    this.softDelete(name, Math.floor(deletedOn.getTime() / 1000));
    return this.deletedSecret(name)!;
  }

  /** A deleted secret, or undefined. */
  deletedSecret(name: string): DeletedSecretView | undefined {
    const entry = this.deleted.get(name.toLowerCase());
    if (!entry) return undefined;
    return {
      name: this.canonicalName(name),
      deletedDate: new Date(entry.deletedDate * 1000),
      scheduledPurgeDate: new Date(entry.scheduledPurgeDate * 1000),
      versionCount: entry.versions.length,
    };
  }

  /** Seeds a new version directly (no auth, not counted in {@link writes}). */
  setSecret(name: string, value: string, options: SeedSecretOptions = {}): SecretVersion {
    if (!SECRET_NAME.test(name)) throw new Error(`invalid secret name ${name}`);
    if (this.deleted.has(name.toLowerCase())) throw new Error(`secret ${name} is deleted; recover or purge it first`);
    const now = Date.now();
    const stored: StoredVersion = {
      version: randomHex(16),
      value,
      contentType: options.contentType,
      tags: { ...(options.tags ?? {}) },
      enabled: options.enabled ?? true,
      nbf: epoch(options.notBefore),
      exp: epoch(options.expiresOn),
      created: epoch(options.createdOn) ?? Math.floor(now / 1000),
      updated: epoch(options.updatedOn ?? options.createdOn) ?? Math.floor(now / 1000),
    };
    this.store(name, stored);
    return this.view(name, stored);
  }

  /** The latest version of a secret, or undefined. */
  latest(name: string): SecretVersion | undefined {
    const list = this.secrets.get(name.toLowerCase());
    const last = list?.[list.length - 1];
    return last && this.view(name, last);
  }

  /** The names of the live (not deleted) secrets, in the casing of their first write, sorted. */
  names(): string[] {
    return [...this.secrets.keys()].map((key) => this.canonicalName(key)).sort();
  }

  /** Every version of a secret, oldest first. */
  versions(name: string): SecretVersion[] {
    return (this.secrets.get(name.toLowerCase()) ?? []).map((v) => this.view(name, v));
  }

  // ---------------------------------------------------------------- routing

  private get host(): string {
    return `${this.name}.vault.localhost:${this.port()}`;
  }

  private port(): number {
    if (!this.server.port) throw new Error("KeyVaultStandIn is not started");
    return this.server.port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const method = (req.method ?? "GET").toUpperCase();
    const record: VaultRequestRecord = { method, path: url.pathname, status: 0, authenticated: false };
    this.requests.push(record);
    let op: Operation | undefined;
    try {
      op = this.route(method, url.pathname);
      record.name = op?.name;
      if ((req.headers.host ?? "").toLowerCase() !== this.host.toLowerCase()) {
        throw new VaultError(400, "BadParameter", `The request host '${req.headers.host ?? ""}' does not match this vault; use ${this.url}.`);
      }
      const apiVersion = url.searchParams.get("api-version");
      record.apiVersion = apiVersion ?? undefined;
      const claims = this.authenticate(req);
      record.authenticated = true;
      record.objectId = String(claims.oid ?? "");
      if (!apiVersion) throw new VaultError(400, "BadParameter", "The 'api-version' query parameter is missing.");
      if (!SUPPORTED_API_VERSIONS.includes(apiVersion)) {
        throw new VaultError(400, "BadParameter", `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${SUPPORTED_API_VERSIONS[SUPPORTED_API_VERSIONS.length - 1]}).`);
      }
      if (this.firewallAddress !== undefined) throw this.firewallError(claims);
      const fault = this.injectFault(method, op, claims);
      if (fault === "hang") {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      if (!op) throw new VaultError(404, "NotFound", `The requested path ${url.pathname} is not supported.`);
      if (op.name !== undefined && !SECRET_NAME.test(op.name)) {
        throw new VaultError(400, "BadParameter", `The request URI contains an invalid name: ${op.name}`);
      }
      const role = this.roles.get(String(claims.oid ?? "").toLowerCase());
      if (!role || !ROLE_ALLOWS[role].has(op.kind)) throw this.forbidden(op, claims);
      const body = await this.execute(req, op, url, apiVersion);
      record.status = body === undefined ? 204 : 200;
      if (op.kind === "set" || op.kind === "update") {
        this.writes.push({ method, name: op.name as string, status: 200, version: String(body?.id).split("/").pop() });
      }
      if (body === undefined) {
        res.writeHead(204, this.headers());
        res.end();
      } else {
        sendJson(res, 200, body, this.headers());
      }
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      record.status = err.status;
      if (record.authenticated && op?.name && (op.kind === "set" || op.kind === "update")) {
        this.writes.push({ method, name: op.name, status: err.status });
      }
      const error: Record<string, unknown> = { code: err.code, message: err.message };
      if (err.innerCode) error.innererror = { code: err.innerCode };
      sendJson(res, err.status, { error }, { ...this.headers(), ...err.headers });
    }
  }

  private route(method: string, pathname: string): Operation | undefined {
    const parts = pathname.split("/").slice(1);
    if (parts[0] === "deletedsecrets") {
      const deletedName = parts[1] ? decodeURIComponent(parts[1]) : undefined;
      if (method === "GET" && !deletedName && parts.length <= 2) return { kind: "listDeleted" };
      if (!deletedName) return undefined;
      if (method === "GET" && parts.length === 2) return { kind: "getDeleted", name: deletedName };
      if (method === "DELETE" && parts.length === 2) return { kind: "purge", name: deletedName };
      if (method === "POST" && parts.length === 3 && parts[2] === "recover") return { kind: "recover", name: deletedName };
      return undefined;
    }
    if (parts[0] !== "secrets") return undefined;
    const name = parts[1] ? decodeURIComponent(parts[1]) : undefined;
    const rest = parts.slice(2);
    if (method === "GET" && !name && parts.length <= 2) return { kind: "list" };
    if (!name) return undefined;
    if (method === "PUT" && rest.length === 0) return { kind: "set", name };
    if (method === "GET" && (rest.length === 0 || (rest.length === 1 && rest[0] === ""))) return { kind: "get", name };
    if (method === "GET" && rest.length === 1 && rest[0] === "versions") return { kind: "versions", name };
    if (method === "GET" && rest.length === 1) return { kind: "get", name, version: rest[0] };
    if (method === "PATCH" && rest.length === 1 && rest[0]) return { kind: "update", name, version: rest[0] };
    if (method === "DELETE" && rest.length === 0) return { kind: "delete", name };
    return undefined;
  }

  private authenticate(req: http.IncomingMessage): Record<string, unknown> {
    const challenge = {
      "www-authenticate": `Bearer authorization="${this.entra.url}/${this.tenantId}", resource="${this.resource}"`,
    };
    const token = bearerToken(req);
    if (!token) throw new VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", undefined, challenge);
    try {
      return this.entra.verifyAccessToken(token, { audience: this.resource, tenantId: this.tenantId });
    } catch (err) {
      if (!(err instanceof AccessTokenError)) throw err;
      const messages: Record<AccessTokenError["reason"], string> = {
        malformed: "AKV10000: Request is missing a Bearer or PoP token.",
        signature: "AKV10038: Token validation failed: the signature is not valid.",
        issuer: `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${this.tenantId}/.`,
        tenant: `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${this.tenantId}/.`,
        audience: `AKV10022: Invalid audience. Expected ${this.resource}.`,
        expired: "AKV10013: Token validation failed: the token is expired.",
        "not-yet-valid": "AKV10013: Token validation failed: the token is not yet valid.",
      };
      throw new VaultError(401, "Unauthorized", messages[err.reason], undefined, challenge);
    }
  }

  private injectFault(method: string, op: Operation | undefined, claims: Record<string, unknown>): "hang" | "reset" | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.filter.method || f.filter.method.toUpperCase() === method) &&
        (!f.filter.name || f.filter.name.toLowerCase() === op?.name?.toLowerCase()),
    );
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    switch (fault.status) {
      case "hang":
      case "reset":
        return fault.status;
      case 403:
        throw this.forbidden(op ?? { kind: "list" }, claims);
      case 429:
        throw new VaultError(
          429,
          "Throttled",
          "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
          undefined,
          fault.options.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.options.retryAfterSeconds) },
        );
      case 409:
        throw new VaultError(
          409,
          "Conflict",
          `Secret ${op?.name ?? ""} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
          "ObjectIsDeletedButRecoverable",
        );
      case 500:
        throw new VaultError(500, "InternalServerError", "An unexpected error occurred while processing the request.");
      case 503:
        throw new VaultError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.");
      default:
        throw new VaultError(fault.status, "Unknown", `Injected failure with status ${fault.status}.`);
    }
  }

  /** The firewall's refusal, as the real vault words it (hashicorp/terraform-provider-azurerm#20742). */
  private firewallError(claims: Record<string, unknown>): VaultError {
    return new VaultError(
      403,
      "Forbidden",
      [
        "Client address is not authorized and caller is not a trusted service.",
        `Client address: ${this.firewallAddress}`,
        `Caller: appid=${String(claims.appid ?? "")};oid=${String(claims.oid ?? "")};iss=${String(claims.iss ?? "")}`,
        `Vault: ${this.name};location=westeurope`,
      ].join("\r\n"),
      "ForbiddenByFirewall",
    );
  }

  private forbidden(op: Operation, claims: Record<string, unknown>): VaultError {
    const resource = `/subscriptions/${this.subscriptionId}/resourcegroups/pcsam-test/providers/microsoft.keyvault/vaults/${this.name}${op.name ? `/secrets/${op.name}` : ""}`;
    return new VaultError(
      403,
      "Forbidden",
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: appid=${String(claims.appid ?? "")};oid=${String(claims.oid ?? "")};iss=${String(claims.iss ?? "")}`,
        `Action: '${ACTIONS[op.kind]}'`,
        `Resource: '${resource}'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: null ",
        `Vault: ${this.name};location=westeurope`,
        "",
      ].join("\r\n"),
      "ForbiddenByRbac",
    );
  }

  // -------------------------------------------------------------- operations

  private async execute(req: http.IncomingMessage, op: Operation, url: URL, apiVersion: string): Promise<Record<string, unknown> | undefined> {
    const key = op.name?.toLowerCase();
    if ((op.kind === "set" || op.kind === "update") && key && this.deleted.has(key)) {
      throw new VaultError(
        409,
        "Conflict",
        `Secret ${op.name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        "ObjectIsDeletedButRecoverable",
      );
    }
    switch (op.kind) {
      case "delete": {
        this.find(op.name as string);
        const entry = this.softDelete(op.name as string, Math.floor(Date.now() / 1000));
        return this.deletedBundle(op.name as string, entry);
      }
      case "getDeleted":
        return this.deletedBundle(op.name as string, this.findDeleted(op.name as string));
      case "listDeleted":
        return this.page(
          [...this.deleted.entries()].map(([name, entry]) => {
            const { value: _value, ...item } = this.deletedBundle(name, entry);
            return item;
          }),
          url,
          apiVersion,
        );
      case "recover": {
        const entry = this.findDeleted(op.name as string);
        this.deleted.delete(key!);
        this.secrets.set(key!, entry.versions);
        const { value: _value, ...bundle } = this.bundle(op.name as string, entry.versions[entry.versions.length - 1]!, false);
        return bundle;
      }
      case "purge":
        this.findDeleted(op.name as string);
        this.deleted.delete(key!);
        this.displayNames.delete(key!);
        return undefined;
      case "set":
        return this.bundle(op.name as string, this.put(op.name as string, await this.jsonBody(req)), true);
      case "get": {
        const version = this.find(op.name as string, op.version);
        if (!version.enabled) throw new VaultError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
        return this.bundle(op.name as string, version, true);
      }
      case "update":
        return this.bundle(op.name as string, this.patch(op.name as string, op.version as string, await this.jsonBody(req)), false);
      case "list": {
        const items = [...this.secrets.entries()].map(([name, list]) => this.item(name, list[list.length - 1], false));
        return this.page(items, url, apiVersion);
      }
      case "versions": {
        const list = this.secrets.get((op.name as string).toLowerCase());
        if (!list) return { value: [], nextLink: null };
        return this.page(list.map((v) => this.item(op.name as string, v, true)), url, apiVersion);
      }
    }
  }

  private async jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const raw = (await readBody(req)).toString("utf8");
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new VaultError(400, "BadParameter", "The request body is not a valid JSON object.");
  }

  private put(name: string, body: Record<string, unknown>): StoredVersion {
    if (typeof body.value !== "string") throw new VaultError(400, "BadParameter", "Property 'value' is required and must be a string.");
    if (Buffer.byteLength(body.value) > MAX_VALUE_BYTES) throw new VaultError(400, "BadParameter", "Secret value is too large; the maximum is 25 KB.");
    const attributes = this.attributes(body.attributes);
    const now = Math.floor(Date.now() / 1000);
    const stored: StoredVersion = {
      version: randomHex(16),
      value: body.value,
      contentType: this.contentType(body.contentType),
      tags: this.tags(body.tags) ?? {},
      enabled: attributes.enabled ?? true,
      nbf: attributes.nbf,
      exp: attributes.exp,
      created: now,
      updated: now,
    };
    this.store(name, stored);
    return stored;
  }

  private patch(name: string, version: string, body: Record<string, unknown>): StoredVersion {
    const stored = this.find(name, version);
    const attributes = this.attributes(body.attributes);
    if (body.contentType !== undefined) stored.contentType = this.contentType(body.contentType);
    const tags = this.tags(body.tags);
    if (tags) stored.tags = tags;
    if (attributes.enabled !== undefined) stored.enabled = attributes.enabled;
    if ("nbf" in attributes) stored.nbf = attributes.nbf;
    if ("exp" in attributes) stored.exp = attributes.exp;
    stored.updated = Math.floor(Date.now() / 1000);
    return stored;
  }

  private attributes(raw: unknown): { enabled?: boolean; nbf?: number; exp?: number } {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== "object") throw new VaultError(400, "BadParameter", "Property 'attributes' must be an object.");
    const a = raw as Record<string, unknown>;
    const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
    if (a.enabled !== undefined && a.enabled !== null) {
      if (typeof a.enabled !== "boolean") throw new VaultError(400, "BadParameter", "Property 'attributes.enabled' must be a boolean.");
      out.enabled = a.enabled;
    }
    for (const key of ["nbf", "exp"] as const) {
      if (a[key] === undefined || a[key] === null) continue;
      if (typeof a[key] !== "number" || !Number.isInteger(a[key])) {
        throw new VaultError(400, "BadParameter", `Property 'attributes.${key}' must be a Unix time in seconds.`);
      }
      out[key] = a[key] as number;
    }
    return out;
  }

  private contentType(raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "string" || raw.length > 255) throw new VaultError(400, "BadParameter", "Property 'contentType' must be a string of at most 255 characters.");
    return raw;
  }

  private tags(raw: unknown): Record<string, string> | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "object" || Array.isArray(raw)) throw new VaultError(400, "BadParameter", "Property 'tags' must be an object.");
    const entries = Object.entries(raw as Record<string, unknown>);
    if (entries.length > MAX_TAGS) throw new VaultError(400, "BadParameter", `A secret can have at most ${MAX_TAGS} tags.`);
    for (const [k, v] of entries) {
      if (typeof v !== "string" || k.length > 512 || v.length > 256) {
        throw new VaultError(400, "BadParameter", "Tag names must be at most 512 and values at most 256 characters, and values must be strings.");
      }
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }

  private softDelete(name: string, deletedDate: number): DeletedEntry {
    const key = name.toLowerCase();
    const versions = this.secrets.get(key);
    if (!versions) throw new Error(`no secret ${name} to delete`);
    const entry: DeletedEntry = { versions, deletedDate, scheduledPurgeDate: deletedDate + RETENTION_DAYS * 24 * 3600 };
    this.secrets.delete(key);
    this.deleted.set(key, entry);
    return entry;
  }

  private findDeleted(name: string): DeletedEntry {
    const entry = this.deleted.get(name.toLowerCase());
    if (!entry) throw new VaultError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
    return entry;
  }

  /** DeletedSecretBundle: the latest version's bundle without its value, plus recoveryId and the dates. */
  private deletedBundle(name: string, entry: DeletedEntry): Record<string, unknown> {
    const latest = entry.versions[entry.versions.length - 1]!;
    return {
      recoveryId: `${this.url}deletedsecrets/${this.canonicalName(name)}`,
      deletedDate: entry.deletedDate,
      scheduledPurgeDate: entry.scheduledPurgeDate,
      ...this.bundle(name, latest, false),
    };
  }

  private find(name: string, version?: string): StoredVersion {
    const list = this.secrets.get(name.toLowerCase());
    const found = version ? list?.find((v) => v.version === version.toLowerCase()) : list?.[list.length - 1];
    if (!found) {
      throw new VaultError(404, "SecretNotFound", `A secret with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
    }
    return found;
  }

  private store(name: string, version: StoredVersion): void {
    const key = name.toLowerCase();
    const list = this.secrets.get(key) ?? [];
    if (!this.displayNames.has(key)) this.displayNames.set(key, name);
    list.push(version);
    this.secrets.set(key, list);
  }

  private canonicalName(name: string): string {
    return this.displayNames.get(name.toLowerCase()) ?? name;
  }

  private attributesJson(v: StoredVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    };
  }

  private bundle(name: string, v: StoredVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: `${this.url}secrets/${this.canonicalName(name)}/${v.version}`,
      attributes: this.attributesJson(v),
      ...(Object.keys(v.tags).length ? { tags: { ...v.tags } } : {}),
    };
  }

  private item(name: string, v: StoredVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.url}secrets/${this.canonicalName(name)}${withVersion ? `/${v.version}` : ""}`,
      attributes: this.attributesJson(v),
      ...(Object.keys(v.tags).length ? { tags: { ...v.tags } } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    };
  }

  private page(items: Record<string, unknown>[], url: URL, apiVersion: string): Record<string, unknown> {
    const maxRaw = url.searchParams.get("maxresults");
    const max = maxRaw === null ? PAGE_SIZE : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_SIZE) {
      throw new VaultError(400, "BadParameter", `The value of 'maxresults' must be an integer between 1 and ${PAGE_SIZE}.`);
    }
    const skipRaw = url.searchParams.get("$skiptoken");
    let offset = 0;
    if (skipRaw !== null) {
      offset = Number(Buffer.from(skipRaw, "base64url").toString("utf8"));
      if (!Number.isInteger(offset) || offset < 0) throw new VaultError(400, "BadParameter", "The $skiptoken is not valid.");
    }
    const slice = items.slice(offset, offset + max);
    const next = offset + max < items.length ? offset + max : undefined;
    let nextLink: string | null = null;
    if (next !== undefined) {
      const link = new URL(`${this.url.replace(/\/$/, "")}${url.pathname}`);
      link.searchParams.set("api-version", apiVersion);
      link.searchParams.set("$skiptoken", Buffer.from(String(next)).toString("base64url"));
      link.searchParams.set("maxresults", String(max));
      nextLink = link.toString();
    }
    return { value: slice, nextLink };
  }

  private view(name: string, v: StoredVersion): SecretVersion {
    return {
      name: this.canonicalName(name),
      version: v.version,
      value: v.value,
      contentType: v.contentType,
      tags: { ...v.tags },
      enabled: v.enabled,
      expiresOn: toDate(v.exp),
      notBefore: toDate(v.nbf),
      createdOn: new Date(v.created * 1000),
      updatedOn: new Date(v.updated * 1000),
    };
  }

  private headers(): Record<string, string> {
    return {
      "x-ms-request-id": randomUUID(),
      "x-ms-keyvault-service-version": "1.9.2700.1",
      "x-ms-keyvault-region": "westeurope",
    };
  }
}
