/**
 * `call --customers`: the same request in every selected customer tenant, with
 * the fan-out engine (fleet/): bounded concurrency, one throttle per host for
 * the whole run, the circuit breaker, `--max-failures`, `--shard`. One Partner
 * Center redemption in the partner's tenant (the customer list) and one token
 * request per customer, which writes nothing to the vault.
 */
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import { ApiCallError, serviceError } from "../partner-center/api-client";
import { listPartnerCenterCustomers } from "../fleet/estate";
import { runFleet, type FleetSummary } from "../fleet/fleet";
import { matches, selectCustomers, type FleetCustomer } from "../fleet/selection";
import type { Shard } from "../fleet/shard";
import type { CallFlowOptions } from "./call-flow";
import { openFleetRun } from "./fleet-run";
import { withDeadline } from "./flow-deadline";
import { expandScopes } from "./token-flow";
import { describeSource, resolveTarget } from "../vault/vault-target";

/** Options of {@link runFanOut}. */
export interface FanOutFlowOptions extends Omit<CallFlowOptions, "tenantId"> {
  /** "all", or tenant ids / domains. */
  customers: "all" | string[];
  exclude?: string[];
  shard?: Shard;
  concurrency?: number;
  maxFailures?: number;
  /** Each customer's line as it completes. */
  onLine: (line: FanOutLine) => void;
}

/** One NDJSON line of `call --customers` (documented in docs/customers.md). */
export type FanOutLine =
  | { tenantId: string; displayName: string; status: number; ok: true; body: unknown }
  | { tenantId: string; displayName: string; status: number | null; ok: false; error: { code: string; message: string; requestId: string | null } };

/** What the run did. */
export interface FanOutResult {
  total: number;
  succeeded: number;
  /** The customers that failed, by tenant id and name. */
  failed: Array<{ tenantId: string; displayName: string; code: string }>;
  summary: FleetSummary;
}

/** Runs the request in every selected customer; each result goes to `onLine` as it completes. */
export async function runFanOut(options: FanOutFlowOptions): Promise<FanOutResult> {
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const { progress } = options;
    progress.step(describeSource(options.source));
    const where = await resolveTarget(options.source);
    const outputs = where.outputs;
    const { partner, fleet } = openFleetRun(where, options, deadline);
    const scopes = options.scopes?.length ? expandScopes(options.scopes, where.partnerCenterEndpoint, where.graphEndpoint) : undefined;
    // Checked before any token: an unknown host without --scope never gets near one.
    const resolved = partner.resolve(options.target, scopes);
    if (resolved.service === "Partner Center" || resolved.scopes.some((s) => s.startsWith(`${where.partnerCenterEndpoint}/`))) {
      throw catalogError("invalid_options", {
        message: "--customers runs the request in each customer tenant, but Partner Center is called in the partner's own tenant (with the customer's id in the path, e.g. /v1/customers/{id}/subscriptions).",
        hint: "Pass a Microsoft Graph URL (or another API's URL with --scope) to --customers, or call Partner Center once without --customers.",
      });
    }

    progress.step(`Listing customers (GET ${where.partnerCenterEndpoint}/v1/customers, every page)`);
    const listed = await listPartnerCenterCustomers(partner, deadline.signal);
    let estate: FleetCustomer[] = listed;
    const named = options.customers === "all" ? (outputs?.customerInclude ?? []) : options.customers;
    if (options.customers !== "all") {
      // A named tenant id outside Partner Center's list (e.g. GDAP only) is still called; a domain must be known to be resolved to a customer.
      const unknownDomains = named.filter((ref) => !listed.some((c) => matches(c, ref)) && !/^[0-9a-f-]{36}$/i.test(ref));
      if (unknownDomains.length) throw catalogError("customer_not_found", { message: `Not in Partner Center's customer list: ${unknownDomains.join(", ")}. Name GDAP-only customers by tenant id.` });
      estate = [...listed, ...named.filter((ref) => !listed.some((c) => matches(c, ref))).map((id) => ({ tenantId: id.toLowerCase(), displayName: id.toLowerCase(), inPartnerCenter: false }))];
    }
    const { selected } = selectCustomers(estate, { include: named, exclude: [...(options.exclude ?? []), ...(outputs?.customerExclude ?? [])], shard: options.shard });
    progress.step(`${options.method} ${resolved.url.host}${resolved.url.pathname} in ${selected.length} customer tenant${selected.length === 1 ? "" : "s"}${options.all ? ", every page" : ""}`);

    const failed: FanOutResult["failed"] = [];
    let succeeded = 0;
    const run = runFleet(selected, (ctx) => ctx.call({ target: options.target, method: options.method, body: options.body, headers: options.headers, scopes, all: options.all }), fleet);
    let next = await run.next();
    for (; !next.done; next = await run.next()) {
      const r = next.value;
      const who = { tenantId: r.customer.tenantId, displayName: r.customer.displayName };
      if (r.ok) {
        succeeded++;
        options.onLine({ ...who, status: r.value.answer.status, ok: true, body: r.value.body });
      } else {
        const line = failureLine(who, r.error);
        failed.push({ ...who, code: line.error.code });
        options.onLine(line);
      }
    }
    if (next.value.stoppedAfterFailures) progress.warn(`Stopped after ${failed.length} failed customers (--max-failures): ${next.value.notStarted} customers were not started.`);
    return { total: selected.length, succeeded, failed, summary: next.value };
  });
}

function failureLine(who: { tenantId: string; displayName: string }, error: unknown): Extract<FanOutLine, { ok: false }> {
  if (error instanceof ApiCallError) {
    const { code } = serviceError(error.answer.json);
    // Graph's own request-id is what Microsoft support asks for; Partner Center echoes our MS-RequestId.
    const requestId = error.answer.headers.get("request-id") ?? error.answer.requestId;
    return { ...who, status: error.answer.status, ok: false, error: { code: code ?? `http_${error.answer.status}`, message: error.message.split("\n")[0]!, requestId } };
  }
  const code = error instanceof SamError ? error.code : "unexpected_error";
  return { ...who, status: null, ok: false, error: { code, message: (error instanceof Error ? error.message : String(error)).split("\n")[0]!, requestId: null } };
}
