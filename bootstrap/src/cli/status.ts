import { Command } from "commander";
import { ExitCode } from "../core/errors";
import type { Reporter } from "./reporter";
import type { StatusFlowOptions } from "../flows/status-flow";
import { DEFAULT_MAX_AGE_DAYS, METADATA_CAVEAT, type ExpiringSecretStatus, type StatusReport } from "../flows/status-report";
import { addNotifyOptions, resolveNotify, runNotifying, type NotifySettings, type Outcome } from "./notify-options";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = { accessWait: 0, timeout: 60 };

/** What `status` runs with: the flow's options and the reporter that renders the report. */
export interface StatusCommandOptions extends StatusFlowOptions {
  reporter: Reporter;
  /** Where to send a notification, and when; undefined for none. */
  notify?: NotifySettings;
}

/**
 * `partner-center-sam status`: declares and validates the flags, then hands the
 * options to `runF` (default {@link statusRun}).
 */
export function statusCommand(runF: (options: StatusCommandOptions) => Promise<number> = statusRun): Command {
  const command = new Command("status")
    .summary("report when the client secret and the refresh token expire; exits 3 when something needs attention")
    .description(
      "Report whether the vault is reachable and when the client secret and the refresh token expire.\n" +
        "Reads secret metadata only: redeems nothing and writes nothing (unless --probe). Exits 3 when something needs attention.",
    );
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  command.option("--warn-days <days>", "treat a secret expiring within this many days (inclusive) as needing attention (default 14)");
  command.option("--max-age-days <days>", `treat a refresh token stored more than this many days ago as an overdue refresh (default ${DEFAULT_MAX_AGE_DAYS})`);
  addWaitOptions(command, WAIT);
  command.option("--probe", "also redeem the stored refresh token once, and store the new one like `refresh`, to prove it works");
  addNotifyOptions(command);
  addJsonOption(command, "print one JSON document with the report on stdout (stable field names, for monitors)");
  return setRun(command, (cmd, { reporter }) => {
    const problems = new OptionProblems();
    const flags = cmd.opts<{ warnDays?: string; maxAgeDays?: string; probe?: boolean }>();
    const warnDays = problems.integer("--warn-days", flags.warnDays, 14, 0, 365);
    const maxAgeDays = problems.integer("--max-age-days", flags.maxAgeDays, DEFAULT_MAX_AGE_DAYS, 1, 89);
    const shared = resolveShared(cmd, problems, WAIT);
    const notify = resolveNotify(cmd, problems);
    problems.throwIfAny();
    return runF({ ...shared, warnDays, maxAgeDays, probe: flags.probe === true, progress: reporter, reporter, notify });
  });
}

/** Runs the status flow and renders the report; exits 3 when something needs attention. */
export async function statusRun(options: StatusCommandOptions): Promise<number> {
  const { runStatus } = await import("../flows/status-flow.js");
  const { reporter, notify } = options;
  const { value: report, exitCode, notifications } = await runNotifying(notify, { command: "status", source: options.source, reporter, signal: options.signal }, () => runStatus(options), statusOutcome);
  reporter.result(humanReport(report), { ok: true, ...report, ...(notify ? { notifications } : {}) });
  return exitCode;
}

/** What a status report tells the notification targets: the same problems and fixes the command prints. */
export function statusOutcome(report: StatusReport): Outcome {
  const refused = report.probe && !report.probe.ok ? report.probe : undefined;
  return {
    exitCode: report.healthy ? ExitCode.Ok : ExitCode.ActionNeeded,
    event: refused ? "token_refused" : undefined,
    summary: report.healthy
      ? `Healthy: nothing expires within ${report.warnDays} days.`
      : refused
        ? `Entra ID refused the stored refresh token: ${refused.message}`
        : `Needs attention: ${report.actions.map((a) => `${a.secret} ${a.problem}`).join("; ")}.`,
    actions: report.actions.map((a) => `${a.secret}: ${a.problem}. Fix: ${a.fix}`),
    keyVaultUri: report.keyVaultUri,
    ...(refused?.aadsts ? { aadsts: `AADSTS${refused.aadsts}` } : {}),
  };
}

function line(label: string, s: ExpiringSecretStatus): string {
  if (s.state === "deleted") return `${label}: DELETED${s.scheduledPurgeDate ? `, purged on ${s.scheduledPurgeDate} unless recovered` : ""}`;
  if (!s.present) return `${label}: MISSING`;
  const when = s.expiresOn ? `expires ${s.expiresOn} (${s.daysToExpiry} days)` : "no expiry set";
  return `${label}: ${s.state === "ok" ? "ok" : s.state.toUpperCase()}, ${when}`;
}

/** The report as lines for a person. */
export function humanReport(r: StatusReport): string[] {
  const t = r.refreshToken;
  const lines = [
    `Key Vault ${r.keyVaultUri}: reachable`,
    `Client id secret: ${simpleState(r.clientId)}; tenant id secret: ${simpleState(r.tenantId)}`,
    ...(r.clientCertificate ? [line("Certificate", r.clientCertificate), `  SHA-256 thumbprint ${r.clientCertificate.thumbprintSha256 ?? "unknown (the secret has no thumbprint tag: run `pulumi up`)"}`] : []),
    ...(r.clientSecret ? [line("Client secret", r.clientSecret)] : []),
    line("Refresh token", t),
  ];
  if (t.present) {
    lines.push(`  consented by ${t.consentedBy ?? "unknown"} at ${t.consentedAt ?? "unknown"}, MFA at consent: ${t.mfa === null ? "unknown" : t.mfa ? "yes" : "NO"}`);
    lines.push(`  last refreshed ${t.refreshedAt ?? "unknown"}${t.refreshAgeDays === null ? "" : ` (stored ${t.refreshAgeDays} days ago)`}${t.expirySource === "lastWrite" ? " (expiry estimated from the last write + 90 days)" : ""}`);
    lines.push(`  last written to the vault ${t.lastWrittenAt ?? "unknown"} (token, call and the provider write the rotated token back at most once a day)`);
  }
  if (r.probe?.ok) lines.push(`Probe: redeemed the refresh token and stored the new one (version ${r.probe.version ?? "?"}); it works.`);
  else if (r.probe) lines.push(`Probe: FAILED: ${r.probe.message}`);
  else lines.push(`Note: ${METADATA_CAVEAT}`);
  lines.push(alertsLine(r.alerts));
  if (r.alerts.hint) lines.push(`  ${r.alerts.hint}`);
  if (r.healthy) lines.push(`✔ Healthy: nothing expires within ${r.warnDays} days.`);
  for (const a of r.actions) lines.push(`! ${a.secret}: ${a.problem}. Fix: ${a.fix}`);
  return lines;
}

function alertsLine(a: StatusReport["alerts"]): string {
  if (a.configured === null) return "Expiry alerts: unknown (read from the stack outputs; not available with --vault-uri)";
  if (!a.configured) return "Expiry alerts: not configured (set alertEmails or alertWebhooks and run `pulumi up`)";
  const coverage = a.covered === null ? "" : a.covered ? "; the current secret versions are covered" : `; NOT covered: ${a.uncovered.join(", ")}`;
  return `Expiry alerts: on since ${a.since ?? "unknown"}${coverage}`;
}

function simpleState(s: StatusReport["clientId"]): string {
  if (s.state === "deleted") return `DELETED${s.scheduledPurgeDate ? ` (purged on ${s.scheduledPurgeDate})` : ""}`;
  return s.present ? "present" : "MISSING";
}
