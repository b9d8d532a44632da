/**
 * `partner-center-sam customers`: the access health of every selected customer
 * (fleet/sweep.ts), swept with the fan-out engine, each result handed to
 * `onResult` as it completes. The partner's tenant is read twice (one Partner
 * Center and one Microsoft Graph redemption, which write the rotated refresh
 * token back); each customer costs one token request that writes nothing.
 */
import { roleTemplateId } from "../core/entra-roles";
import { catalogError } from "../core/error-catalogue";
import { ExitCode, SamError } from "../core/errors";
import { mergeEstate, listPartnerCenterCustomers } from "../fleet/estate";
import { runFleet, type FleetSummary } from "../fleet/fleet";
import type { CustomerHealth, Verdict } from "../fleet/health";
import { selectCustomers, type FleetCustomer } from "../fleet/selection";
import type { Shard } from "../fleet/shard";
import { checkCustomer, readPartnerView, type PartnerView } from "../fleet/sweep";
import type { ApiFlowOptions } from "./call-flow";
import { openFleetRun } from "./fleet-run";
import { withDeadline } from "./flow-deadline";
import { describeSource, resolveTarget } from "../vault/vault-target";

/** Options of {@link runCustomers}. */
export interface CustomersFlowOptions extends ApiFlowOptions {
  /** `--customer` / `--from-file` (tenant ids or domains); default config customerInclude, else every customer. */
  include?: string[];
  /** `--exclude`, added to config customerExclude. */
  exclude?: string[];
  shard?: Shard;
  concurrency?: number;
  maxFailures?: number;
  /** GDAP ending within this many days without auto-extend is `attention`. */
  warnDays: number;
  /** Keep every customer's result in the report (false for --ndjson: memory stays flat). */
  keepResults: boolean;
  /** Each customer's result as it completes, with how many are done of how many. */
  onResult?: (health: CustomerHealth, done: number, total: number) => void;
  /** Told how many customers the sweep covers, before the first result. */
  onStart?: (total: number) => void;
  now?: () => number;
}

/** The sweep's document (`--json`). */
export interface CustomersReport {
  checkedAt: string;
  counts: Record<Verdict, number> & { total: number };
  /** Why GDAP could not be read (then exit 3), or null. */
  gdapUnavailable: PartnerView["gdapUnavailable"] | null;
  /** Partner Center's customer list could not be read (the estate is the GDAP customers only), or null. */
  partnerCenterUnavailable: string | null;
  customers: CustomerHealth[];
  summary: FleetSummary;
}

/** Runs the sweep; throws for what stops it entirely (the partner's own token refused: exit 3; both services unreachable: exit 1). */
export async function runCustomers(options: CustomersFlowOptions): Promise<CustomersReport> {
  const now = options.now ?? Date.now;
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const { progress } = options;
    progress.step(describeSource(options.source));
    const where = await resolveTarget(options.source);
    if (!where.outputs) throw catalogError("invalid_options", { message: "customers needs the stack outputs (customerGraphScopes, customerInclude, gdapRoles): pass --stack or --outputs, not --vault-uri." });
    const { outputs } = where;
    const { provider, partner, fleet } = openFleetRun(where, { ...options, notePartnerRetries: true }, deadline);

    progress.step(`Reading the partner's customers (Partner Center) and GDAP relationships (Microsoft Graph)`);
    const graphScope = `${partner.graphEndpoint}/.default`;
    const [pc, graph] = await Promise.allSettled([
      listPartnerCenterCustomers(partner, deadline.signal),
      provider.getToken({ scopes: [graphScope], signal: deadline.signal }).then((info) => readPartnerView(partner, info.scopes, deadline.signal)),
    ]);
    // The partner's own token refused (sign in again), or a cancel: nothing else can be reported.
    for (const r of [pc, graph]) if (r.status === "rejected" && r.reason instanceof SamError && (r.reason.exitCode === ExitCode.ActionNeeded || r.reason.exitCode === ExitCode.Usage)) throw r.reason;
    if (pc.status === "rejected" && graph.status === "rejected") {
      throw catalogError("sweep_failed", { message: `The sweep could not run: Partner Center (${firstLine(pc.reason)}) and Microsoft Graph (${firstLine(graph.reason)}) both failed.`, cause: pc.reason });
    }
    const view: PartnerView = graph.status === "fulfilled" ? graph.value : { gdapUnavailable: { reason: "error", message: firstLine(graph.reason) } };
    if (pc.status === "rejected") progress.warn(`Partner Center's customer list could not be read (${firstLine(pc.reason)}); the sweep covers the customers of the GDAP relationships.`);
    const estate = mergeEstate(pc.status === "fulfilled" ? pc.value : [], view.relationships ? [...view.relationships.values()].flat() : undefined);

    const include = options.include?.length ? options.include : (outputs.customerInclude ?? []);
    const { selected, unknown } = selectCustomers(estate, { include, exclude: [...(options.exclude ?? []), ...(outputs.customerExclude ?? [])], shard: options.shard });
    if (unknown.length) {
      throw catalogError("customer_not_found", {
        message: `Not a customer of this partner (neither in Partner Center's list nor in a GDAP relationship): ${unknown.join(", ")}${options.include?.length ? "" : " (config customerInclude)"}.`,
      });
    }
    const requiredRoleIds = (outputs.gdapRoles ?? []).map((r) => roleTemplateId(r) ?? r);
    progress.step(`Checking ${selected.length} customer${selected.length === 1 ? "" : "s"}${options.shard ? ` (shard ${options.shard.index}/${options.shard.count})` : ""}`);
    options.onStart?.(selected.length);

    const counts: CustomersReport["counts"] = { total: selected.length, ok: 0, attention: 0, broken: 0 };
    const customers: CustomerHealth[] = [];
    const settings = { partnerClient: partner, view, customerGraphScopes: outputs.customerGraphScopes ?? [], requiredRoleIds, warnDays: options.warnDays, now };
    const run = runFleet(selected, (ctx) => checkCustomer(ctx, settings), fleet);
    let done = 0;
    let next = await run.next();
    for (; !next.done; next = await run.next()) {
      const r = next.value;
      const health = r.ok ? r.value : failedCheck(r.customer, r.error);
      counts[health.verdict]++;
      done++;
      if (options.keepResults) customers.push(health);
      options.onResult?.(health, done, selected.length);
    }
    return {
      checkedAt: new Date(now()).toISOString(),
      counts,
      gdapUnavailable: view.gdapUnavailable ?? null,
      partnerCenterUnavailable: pc.status === "rejected" ? firstLine(pc.reason) : null,
      customers,
      summary: next.value,
    };
  });
}

/** A customer whose check itself failed (e.g. Graph unreachable for its access assignments): broken, with the error. */
function failedCheck(customer: FleetCustomer, error: unknown): CustomerHealth {
  const message = firstLine(error);
  return {
    tenantId: customer.tenantId,
    displayName: customer.displayName,
    domain: customer.domain ?? null,
    inPartnerCenter: customer.inPartnerCenter,
    verdict: "broken",
    nextStep: `The check of ${customer.displayName} failed (${message}): run the sweep again for it with --customer ${customer.tenantId}.`,
    problems: [message],
    gdap: { checked: false, relationships: [], missingRoles: [] },
    consent: { state: "unknown", grantedScopes: [], missingScopes: [] },
    access: { state: "other", code: error instanceof SamError ? error.code : null, aadsts: error instanceof SamError ? (error.aadsts ?? null) : null, correlationId: null, message },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
