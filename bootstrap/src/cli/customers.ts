import { Command } from "commander";
import { catalogError } from "../core/error-catalogue";
import { ExitCode } from "../core/errors";
import type { CustomersFlowOptions, CustomersReport } from "../flows/customers-flow";
import type { CustomerHealth, Verdict } from "../fleet/health";
import { addFleetOptions, resolveFleetFlags } from "./fleet-options";
import { addNotifyOptions, resolveNotify, runNotifying, type NotifySettings, type Outcome } from "./notify-options";
import { OptionProblems } from "./options";
import type { Reporter } from "./reporter";
import { setRun } from "./run-command";
import { addEndpointOptions, addGraphEndpointOption, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 900 };

/** What `customers` runs with: the flow's options, the output format and the reporter. */
export interface CustomersCommandOptions extends Omit<CustomersFlowOptions, "keepResults"> {
  format: "table" | "json" | "ndjson";
  reporter: Reporter;
  /** Where the `123/500 customers` line goes; undefined when stderr is not a terminal. */
  progressStream?: NodeJS.WriteStream;
  /** `--notify`: who hears about customers that need attention. */
  notify?: NotifySettings;
}

/**
 * `partner-center-sam customers`: declares and validates the flags, then hands
 * the options to `runF` (default {@link customersRun}).
 */
export function customersCommand(runF: (options: CustomersCommandOptions) => Promise<number> = customersRun): Command {
  const command = new Command("customers")
    .summary("the access health of every customer: GDAP, consent, access, a verdict and the next step")
    .description(
      "For every customer (Partner Center's list merged with the partner's GDAP relationships): the GDAP relationships " +
        "(status, end date, auto-extend, roles through active access assignments, whether the bootstrap user is in a group " +
        "holding them), the app's consent in the customer tenant (one token request there, compared with the stack's " +
        "customerGraphScopes) and how the tenant answers, with a verdict (ok, attention, broken) and the one next step. " +
        "Exits 0 when every customer is ok, 3 when any needs attention (or GDAP could not be read), 1 when the sweep could not run.",
    )
    .option("--warn-days <days>", "a GDAP relationship ending within this many days without auto-extend needs attention", "30")
    .option("--ndjson", "print one JSON line per customer as it completes (for large estates and pipes)");
  addFleetOptions(command, { select: true });
  addTargetOptions(command, { vaultUri: false });
  addEndpointOptions(command);
  addGraphEndpointOption(command);
  addWaitOptions(command, WAIT);
  addNotifyOptions(command);
  addJsonOption(command, "print one JSON document (checkedAt, counts, one entry per customer) on stdout");
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const flags = cmd.opts<{ warnDays: string; ndjson?: boolean }>();
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      const fleet = resolveFleetFlags(cmd, problems);
      const warnDays = problems.integer("--warn-days", flags.warnDays, 30, 0, 3650);
      if (shared.json && flags.ndjson) problems.add("--json and --ndjson are alternatives: pass one of them");
      const notify = resolveNotify(cmd, problems);
      problems.throwIfAny();
      return runF({
        ...shared,
        ...fleet,
        warnDays,
        format: shared.json ? "json" : flags.ndjson ? "ndjson" : "table",
        progress: reporter,
        reporter,
        signal,
        progressStream: process.stderr.isTTY ? process.stderr : undefined,
        notify,
      });
    },
    { cancelOnSignals: true, progress: process.stderr.isTTY === true },
  );
}

const ORDER: Record<Verdict, number> = { broken: 0, attention: 1, ok: 2 };
const MARK: Record<Verdict, string> = { broken: "✖ broken", attention: "! attention", ok: "✔ ok" };

/** Sorted by verdict (broken first), then by name. */
export function sortByVerdict(customers: CustomerHealth[]): CustomerHealth[] {
  return [...customers].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || a.displayName.localeCompare(b.displayName) || a.tenantId.localeCompare(b.tenantId));
}

function gdapCell(c: CustomerHealth): string {
  if (!c.gdap.checked) return "?";
  const active = c.gdap.relationships.filter((r) => r.status === "active" || r.status === "expiring");
  if (active.length === 0) return c.gdap.relationships[0]?.status ?? "none";
  const soonest = active.reduce((a, b) => ((a.daysLeft ?? Infinity) <= (b.daysLeft ?? Infinity) ? a : b));
  return `active${soonest.daysLeft === null ? ", no end" : `, ${soonest.daysLeft}d`}${soonest.autoExtend ? " +auto" : ""}`;
}

/** The table's lines: a header, one line per customer, the summary line. */
export function tableLines(report: Pick<CustomersReport, "counts" | "checkedAt">, customers: CustomerHealth[]): string[] {
  const rows = sortByVerdict(customers).map((c) => [MARK[c.verdict], c.displayName.slice(0, 40), c.tenantId, gdapCell(c), c.consent.state, c.access.state, c.nextStep ?? ""]);
  const header = ["VERDICT", "CUSTOMER", "TENANT", "GDAP", "CONSENT", "ACCESS", "NEXT STEP"];
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join("  ");
  const { counts } = report;
  return [line(header), ...rows.map(line), `${counts.total} customer${counts.total === 1 ? "" : "s"}: ${counts.ok} ok, ${counts.attention} attention, ${counts.broken} broken (checked ${report.checkedAt}).`];
}

/** Runs the sweep and prints it; exit 0 all ok, 3 any attention/broken or GDAP unreadable. */
export async function customersRun(options: CustomersCommandOptions): Promise<number> {
  const { runCustomers } = await import("../flows/customers-flow.js");
  const { reporter, format, progressStream } = options;
  const completed: CustomerHealth[] = [];
  const showProgress = (done: number, total: number) => progressStream?.write(`\r\u001b[2K${done}/${total} customers`);
  let report: CustomersReport;
  let notifications: unknown[] = [];
  try {
    const sweep = () => runCustomers({
      ...options,
      keepResults: format !== "ndjson",
      onStart: (total) => showProgress(0, total),
      onResult: (health, done, total) => {
        if (format === "ndjson") reporter.result([JSON.stringify(health)], health);
        else completed.push(health);
        showProgress(done, total);
      },
    });
    const notified = await runNotifying(options.notify, { command: "customers", source: options.source, reporter, signal: options.signal }, sweep, customersOutcome);
    report = notified.value;
    notifications = notified.notifications;
  } catch (error) {
    progressStream?.write("\r\u001b[2K");
    // Ctrl-C mid-sweep: what completed is printed (the NDJSON lines already are), then the command exits 130.
    if (format === "table" && completed.length) {
      const counts = { total: completed.length, ok: 0, attention: 0, broken: 0 };
      completed.forEach((c) => counts[c.verdict]++);
      reporter.result(tableLines({ counts, checkedAt: new Date().toISOString() }, completed), {});
    }
    throw error;
  }
  progressStream?.write("\r\u001b[2K");
  const customers = sortByVerdict(report.customers);
  if (format === "json") reporter.result([], { ...report, customers, summary: undefined, ...(options.notify ? { notifications } : {}) });
  else if (format === "table") reporter.result(tableLines(report, customers), {});
  else reporter.note(`${report.counts.total} customers: ${report.counts.ok} ok, ${report.counts.attention} attention, ${report.counts.broken} broken.`);
  if (report.gdapUnavailable?.reason === "permission") {
    const e = catalogError("gdap_permission_missing", { message: report.gdapUnavailable.message });
    reporter.warn(`${e.message} Consent and access are reported above. Next: ${e.hint}`);
  } else if (report.gdapUnavailable) {
    reporter.warn(`GDAP relationships could not be read: ${report.gdapUnavailable.message}`);
  }
  return report.counts.attention + report.counts.broken > 0 || report.gdapUnavailable ? ExitCode.ActionNeeded : ExitCode.Ok;
}

/** What a sweep tells the notification targets: the counts, and the next step of each customer that needs one. */
export function customersOutcome(report: CustomersReport): Outcome {
  const { counts } = report;
  const needing = sortByVerdict(report.customers.filter((c) => c.verdict !== "ok"));
  const actions = needing.slice(0, 20).map((c) => `${c.displayName} (${c.tenantId}): ${c.verdict}${c.nextStep ? `. Fix: ${c.nextStep}` : ""}`);
  if (needing.length > actions.length) actions.push(`… and ${needing.length - actions.length} more: run \`partner-center-sam customers\` for all of them.`);
  if (report.gdapUnavailable) actions.unshift(`GDAP relationships could not be read: ${report.gdapUnavailable.message}`);
  return {
    exitCode: counts.attention + counts.broken > 0 || report.gdapUnavailable ? ExitCode.ActionNeeded : ExitCode.Ok,
    summary: `${counts.total} customers: ${counts.ok} ok, ${counts.attention} need attention, ${counts.broken} broken.`,
    actions,
  };
}
