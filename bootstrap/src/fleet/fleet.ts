/**
 * Work in many customer tenants at once, safely: {@link runFleet} gives each
 * customer a {@link CustomerContext} whose requests carry that customer's token,
 * share ONE {@link HostThrottle} for the whole run (a 429 with Retry-After from
 * one customer pauses every worker talking to that host), and stop at the first
 * token failure (the circuit breaker: a customer whose token cannot be obtained
 * is reported once and gets no further requests). Results are yielded per
 * customer as they complete (see pool.ts for concurrency, maxFailures, signal).
 */
import { setMaxListeners } from "node:events";
import { HostThrottle } from "../core/host-throttle";
import type { Deadline } from "../core/retry";
import { ApiClient, type ApiAnswer, type ApiRequest, type TokenRequest } from "../partner-center/api-client";
import { runPool, type PoolOptions, type PoolSummary } from "./pool";
import type { FleetCustomer } from "./selection";

/** How the fleet gets tokens and where the services are. */
export interface FleetOptions extends PoolOptions {
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint (default the public cloud's). */
  graphEndpoint?: string;
  /** Resolves to an access token for `request.tenantId` (the token provider's getAccessToken). */
  getToken: (request: TokenRequest) => Promise<string>;
  /** The run's deadline: every request and every throttle wait ends with it. */
  deadline?: Deadline;
  /** Timeout of one request (ms). Default 30 s: a customer that hangs is bounded by it; the rest finish. */
  requestTimeoutMs?: number;
  /** How long one request keeps retrying 429/5xx (ms). */
  transientBudgetMs?: number;
  /** One throttle for the whole run; default a new one. Pass your own to share it across runs or to watch its pauses. */
  throttle?: HostThrottle;
  /** Told before each retry wait. */
  onRetry?: (message: string) => void;
}

/** What a customer's work gets. */
export interface CustomerContext {
  readonly customer: FleetCustomer;
  /** Aborts when the run is cancelled (its deadline, Ctrl-C, the caller's signal). */
  readonly signal: AbortSignal;
  /** An access token in this customer's tenant (default scope: Graph `.default`). A failure opens the breaker. */
  getToken(scopes?: readonly string[]): Promise<string>;
  /** One request in this customer's tenant; resolves with the answer whatever its status (see ApiClient.send). */
  send(request: Omit<ApiRequest, "tenantId">): Promise<ApiAnswer>;
  /** A request's body, every page with `all`; non-2xx throws ApiCallError (see ApiClient.call). */
  call(request: Omit<ApiRequest, "tenantId"> & { all?: boolean }): Promise<{ body: unknown; answer: ApiAnswer; pages: number }>;
}

/** One customer's outcome: the work's value, or the error it failed with (reported once). */
export type CustomerResult<T> = { customer: FleetCustomer; ok: true; value: T } | { customer: FleetCustomer; ok: false; error: unknown };

/** The run's summary, with the throttle's pauses per host. */
export interface FleetSummary extends PoolSummary {
  throttlePauses: Record<string, number>;
}

/** Runs `work` for every customer; yields each result as it completes; returns the summary. */
export async function* runFleet<T>(customers: readonly FleetCustomer[], work: (context: CustomerContext) => Promise<T>, options: FleetOptions): AsyncGenerator<CustomerResult<T>, FleetSummary, undefined> {
  const throttle = options.throttle ?? new HostThrottle();
  const graphDefault = `${(options.graphEndpoint ?? "https://graph.microsoft.com").replace(/\/+$/, "")}/.default`;
  const signal = options.signal ?? options.deadline?.signal ?? new AbortController().signal;
  // Every customer in flight listens to the run's signals (its requests, its token): that is by design, not a leak.
  for (const s of new Set([signal, options.deadline?.signal])) if (s) setMaxListeners(0, s);
  const pool = runPool(customers, (customer) => work(customerContext(customer, options, throttle, graphDefault, signal)), { ...options, signal });
  for (;;) {
    const next = await pool.next();
    if (next.done) return { ...next.value, throttlePauses: Object.fromEntries(throttle.pauses) };
    const outcome = next.value;
    yield outcome.ok ? { customer: outcome.item, ok: true, value: outcome.value } : { customer: outcome.item, ok: false, error: outcome.error };
  }
}

function customerContext(customer: FleetCustomer, options: FleetOptions, throttle: HostThrottle, graphDefault: string, signal: AbortSignal): CustomerContext {
  let broken: { error: unknown } | undefined;
  // The breaker: after one failed token request, this customer's requests fail at once with that error.
  const getToken = async (request: TokenRequest): Promise<string> => {
    if (broken) throw broken.error;
    try {
      return await options.getToken({ ...request, tenantId: customer.tenantId, signal: request.signal ?? signal });
    } catch (error) {
      if (!signal.aborted) broken = { error };
      throw error;
    }
  };
  const client = new ApiClient({
    partnerCenterEndpoint: options.partnerCenterEndpoint,
    graphEndpoint: options.graphEndpoint,
    getToken,
    deadline: options.deadline,
    requestTimeoutMs: options.requestTimeoutMs,
    transientBudgetMs: options.transientBudgetMs,
    onRetry: options.onRetry,
    throttle,
  });
  return {
    customer,
    signal,
    getToken: (scopes) => getToken({ scopes: scopes ? [...scopes] : [graphDefault], forceRefresh: false, signal }),
    send: (request) => client.send({ ...request, tenantId: customer.tenantId, signal: request.signal ?? signal }),
    call: (request) => client.call({ ...request, tenantId: customer.tenantId, signal: request.signal ?? signal }),
  };
}
