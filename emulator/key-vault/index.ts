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
 *
 * This file is the public face: the {@link KeyVaultEmulator} class, a thin
 * facade over the store (secret-store.ts), the request pipeline (handler.ts,
 * routes.ts, access.ts), the error bodies (errors.ts) and faults (faults.ts).
 */
import { randomUUID } from "node:crypto";
import type { EntraEmulator } from "../entra";
import { LoopbackServer } from "../http";
import type { VaultPolicy } from "./access";
import { FaultQueue, type FaultStatus } from "./faults";
import { VaultAddress, handleRequest, type VaultRequestContext } from "./handler";
import { SecretRoutes } from "./routes";
import { SecretStore } from "./secret-store";
import type {
  DeletedSecretView,
  KeyVaultEmulatorOptions,
  SecretVersion,
  SeedSecretOptions,
  VaultFaultFilter,
  VaultFaultOptions,
  VaultRequestRecord,
  VaultRole,
  VaultWriteRecord,
} from "./types";

export { SUPPORTED_API_VERSIONS } from "./handler";
export type { FaultStatus } from "./faults";
export type {
  DeletedSecretView,
  KeyVaultEmulatorOptions,
  SecretVersion,
  SeedSecretOptions,
  VaultFaultFilter,
  VaultFaultOptions,
  VaultRequestRecord,
  VaultRole,
  VaultWriteRecord,
} from "./types";

/** A Key Vault (secrets) stand-in. */
export class KeyVaultEmulator {
  /** Vault name (first label of {@link url}). */
  readonly name: string;
  /** Every request, oldest first (no values, no tokens). */
  readonly requests: VaultRequestRecord[] = [];
  /** Every authenticated PUT/PATCH attempt, oldest first (no values). */
  readonly writes: VaultWriteRecord[] = [];

  private readonly server: LoopbackServer;
  private readonly address: VaultAddress;
  private readonly entra: EntraEmulator;
  private readonly store = new SecretStore();
  private readonly policy: VaultPolicy = { roles: new Map() };
  private readonly faults = new FaultQueue();
  private readonly context: VaultRequestContext;

  constructor(options: KeyVaultEmulatorOptions) {
    this.entra = options.entra;
    const tenantId = options.tenantId.toLowerCase();
    this.name = options.name ?? "pcsam-test-kv";
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(this.name)) throw new Error(`invalid vault name ${this.name}`);
    this.server = new LoopbackServer((req, res) => handleRequest(this.context, req, res), options.tls);
    this.address = new VaultAddress(this.name, this.server);
    this.context = {
      address: this.address,
      entra: this.entra,
      tenantId,
      subscriptionId: randomUUID(),
      policy: this.policy,
      faults: this.faults,
      routes: new SecretRoutes(this.store, () => this.address.url),
      requests: this.requests,
      writes: this.writes,
    };
    this.policy.roles.set(options.entra.managedIdentityObjectId, "officer");
  }

  /** Vault URI with trailing slash, e.g. `https://pcsam-test-kv.vault.localhost:41234/`. */
  get url(): string {
    return this.address.url;
  }

  /** The token audience / challenge resource, e.g. `https://vault.localhost:41234`. */
  get resource(): string {
    return this.address.resource;
  }

  /** Number of successful writes through the API (seeding excluded). */
  get writeCount(): number {
    return this.writes.filter((w) => w.status === 200).length;
  }

  /** Starts listening on `port` (default a free one). */
  async start(port?: number): Promise<void> {
    await this.server.start(port);
    this.entra.registerResource(this.resource, ["user_impersonation"]);
  }

  async stop(): Promise<void> {
    this.faults.releaseAll();
    await this.server.stop();
  }

  /** Assigns a data-plane role to a principal (object id). */
  grant(objectId: string, role: VaultRole): void {
    this.policy.roles.set(objectId.toLowerCase(), role);
  }

  /** Removes a principal's role. */
  revoke(objectId: string): void {
    this.policy.roles.delete(objectId.toLowerCase());
  }

  /**
   * The next `count` authenticated requests matching `filter` fail with
   * `status` in the service's shape: 403 as RBAC propagation (ForbiddenByRbac),
   * 409 ObjectIsDeletedButRecoverable (as if the secret had just been deleted),
   * 429 Throttled (no `Retry-After` unless `options.retryAfterSeconds`), 500,
   * 503 (…); or, with `hang`, are accepted and never answered (until {@link stop});
   * or, with `reset`, have their connection dropped; or, with `truncate`, are
   * carried out and answered 200 with only the first half of the JSON body.
   */
  failNext(count: number, status: FaultStatus, filter: VaultFaultFilter = {}, options: VaultFaultOptions = {}): void {
    this.faults.add(count, status, filter, options);
  }

  /**
   * Turns the vault firewall on: every authenticated request is refused with
   * the real 403 ForbiddenByFirewall naming `clientAddress`. `null` turns it off.
   */
  setFirewall(clientAddress: string | null): void {
    this.policy.firewallAddress = clientAddress ?? undefined;
  }

  /** Soft-deletes a secret directly (no auth, like someone deleting it in the portal). */
  deleteSecret(name: string, deletedOn = new Date()): DeletedSecretView {
    this.store.softDelete(name, Math.floor(deletedOn.getTime() / 1000));
    return this.deletedSecret(name)!;
  }

  /** A deleted secret, or undefined. */
  deletedSecret(name: string): DeletedSecretView | undefined {
    return this.store.deletedSecret(name);
  }

  /** Seeds a new version directly (no auth, not counted in {@link writes}). */
  setSecret(name: string, value: string, options: SeedSecretOptions = {}): SecretVersion {
    return this.store.seed(name, value, options);
  }

  /** The latest version of a secret, or undefined. */
  latest(name: string): SecretVersion | undefined {
    return this.store.latest(name);
  }

  /** The names of the live (not deleted) secrets, in the casing of their first write, sorted. */
  names(): string[] {
    return this.store.names();
  }

  /** Every version of a secret, oldest first. */
  versions(name: string): SecretVersion[] {
    return this.store.versions(name);
  }
}
