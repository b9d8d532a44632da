#!/usr/bin/env node
import { Command } from "commander";
import { ExitCode } from "../errors";
import { readStatus, type ExpiringSecretStatus, type StatusReport } from "../status-report";
import { checkTargetFlags, openVaultStore, OptionProblems, resolveTarget, type TargetFlags } from "./options";
import { exitWith, runCommand } from "./run-command";
import { addTargetOptions } from "./target-options";

interface StatusFlags extends TargetFlags {
  warnDays?: string;
}

/** `npm run status`: report the health of the vault's secrets without changing anything. */
export function statusCommand(): Command {
  return addTargetOptions(
    new Command("npm run status --").description(
      "Report whether the vault is reachable and when the client secret and the refresh token expire.\n" +
        "Reads secret metadata only: redeems nothing and writes nothing. Exits 3 when something needs attention.",
    ),
    false,
  )
    .option("--warn-days <days>", "treat a secret expiring within this many days (inclusive) as needing attention (default 14)")
    .option("--access-wait <seconds>", "keep retrying Key Vault 403/429/5xx answers this long (default 0)")
    .option("--json", "print one JSON document with the report on stdout (stable field names, for monitors)");
}

function line(label: string, s: ExpiringSecretStatus): string {
  if (!s.present) return `${label}: MISSING`;
  const when = s.expiresOn ? `expires ${s.expiresOn} (${s.daysToExpiry} days)` : "no expiry set";
  return `${label}: ${s.state === "ok" ? "ok" : s.state.toUpperCase()}, ${when}`;
}

function humanReport(r: StatusReport): string[] {
  const t = r.refreshToken;
  const lines = [
    `Key Vault ${r.keyVaultUri}: reachable`,
    `Client id secret: ${r.clientId.present ? "present" : "MISSING"}; tenant id secret: ${r.tenantId.present ? "present" : "MISSING"}`,
    line("Client secret", r.clientSecret),
    line("Refresh token", t),
  ];
  if (t.present) {
    lines.push(`  consented by ${t.consentedBy ?? "unknown"} at ${t.consentedAt ?? "unknown"}, MFA at consent: ${t.mfa === null ? "unknown" : t.mfa ? "yes" : "NO"}`);
    lines.push(`  last refreshed ${t.refreshedAt ?? "unknown"}${t.expirySource === "lastWrite" ? " (expiry estimated from the last write + 90 days)" : ""}`);
  }
  if (r.healthy) lines.push(`✔ Healthy: nothing expires within ${r.warnDays} days.`);
  for (const a of r.actions) lines.push(`! ${a.secret}: ${a.problem}. Fix: ${a.fix}`);
  return lines;
}

/** Runs the status command line and resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand<StatusFlags>(statusCommand(), argv, async (flags, reporter) => {
    const problems = new OptionProblems();
    const warnDays = problems.integer("--warn-days", flags.warnDays, 14, 0, 365);
    const accessWait = problems.integer("--access-wait", flags.accessWait, 0, 0, 3600);
    const target = checkTargetFlags(flags, problems);
    problems.throwIfAny();

    const where = await resolveTarget(target);
    const store = openVaultStore(where, accessWait, reporter);
    const report = await readStatus({ store, warnDays });
    reporter.result(humanReport(report), { ok: true, ...report });
    return report.healthy ? ExitCode.Ok : ExitCode.ActionNeeded;
  });
}

if (require.main === module) exitWith(main(process.argv));
