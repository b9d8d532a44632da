/**
 * The library's fan-out: `forEachCustomer(provider, fn, options)` runs `fn` in
 * every selected customer tenant with the provider's tokens and yields each
 * customer's result as it completes. It is a function of the package rather
 * than a method of TokenProvider because the provider lives in entra/ (layer 3)
 * and the engine in fleet/ (layer 4): a method would make the lower layer import
 * the higher one.
 *
 * ```ts
 * for await (const r of forEachCustomer(provider, (c) => c.call({ target: "https://graph.microsoft.com/v1.0/organization" }))) {
 *   console.log(r.customer.tenantId, r.ok ? "ok" : r.error);
 * }
 * ```
 */
import { HostThrottle } from "../core/host-throttle";
import { ApiClient } from "../partner-center/api-client";
import type { TokenProvider } from "../entra/token-provider";
import { runFleet, type CustomerContext, type CustomerResult, type FleetSummary } from "./fleet";
import { listPartnerCenterCustomers } from "./estate";
import type { PoolOptions } from "./pool";
import { selectCustomers, type FleetCustomer } from "./selection";
import { parseShard, type Shard } from "./shard";

/** Options of {@link forEachCustomer}. */
export interface ForEachCustomerOptions extends PoolOptions {
  /** Tenant ids, domains or customers; default every customer Partner Center's `GET /v1/customers` lists. */
  customers?: ReadonlyArray<string | FleetCustomer>;
  /** Tenant ids or domains to leave out. */
  exclude?: readonly string[];
  /** Only this shard: `{ index, count }` or `"I/N"` (see shard.ts for the hash). */
  shard?: Shard | string;
  /** Microsoft Graph's endpoint (another cloud's); default the public one. */
  graphEndpoint?: string;
  /** Timeout of one request (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** Share one throttle across runs; default one per run. */
  throttle?: HostThrottle;
}

/**
 * Runs `fn` for each selected customer (at most `concurrency` at a time, default
 * 8) and yields `{ customer, ok, value | error }` as each completes; the
 * generator's return value is the summary. Throws a TypeError for bad options.
 */
export async function* forEachCustomer<T>(provider: TokenProvider, fn: (customer: CustomerContext) => Promise<T>, options: ForEachCustomerOptions = {}): AsyncGenerator<CustomerResult<T>, FleetSummary, undefined> {
  const shard = typeof options.shard === "string" ? parseShard(options.shard) : options.shard;
  if (typeof shard === "string") throw new TypeError(`forEachCustomer: ${shard.replace(/^--shard/, "shard")}.`);
  const partnerCenterEndpoint = provider.defaultScopes[0]!.replace(/\/user_impersonation$/, "");
  const getToken: ConstructorParameters<typeof ApiClient>[0]["getToken"] = (r) => provider.getAccessToken({ scopes: r.scopes, tenantId: r.tenantId, forceRefresh: r.forceRefresh, signal: r.signal });
  const throttle = options.throttle ?? new HostThrottle();
  let estate: FleetCustomer[];
  if (options.customers) {
    estate = options.customers.map((c) => (typeof c === "string" ? { tenantId: c.trim().toLowerCase(), displayName: c.trim(), inPartnerCenter: false } : c));
  } else {
    const partner = new ApiClient({ partnerCenterEndpoint, graphEndpoint: options.graphEndpoint, getToken, requestTimeoutMs: options.requestTimeoutMs, throttle });
    estate = await listPartnerCenterCustomers(partner, options.signal);
  }
  const { selected } = selectCustomers(estate, { exclude: options.exclude, shard });
  return yield* runFleet(selected, fn, { ...options, partnerCenterEndpoint, getToken, throttle });
}
