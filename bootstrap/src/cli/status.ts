#!/usr/bin/env node
import { Command } from "commander";
import { partnerCenterScope } from "../contract";
import { ExitCode } from "../errors";
import { METADATA_CAVEAT, readStatus, type ExpiringSecretStatus, type StatusReport } from "../status-report";
import { checkTargetFlags, commandDeadline, openVaultStore, OptionProblems, resolveTarget, type TargetFlags } from "./options";
import { exitWith, runCommand } from "./run-command";
import { addTargetOptions } from "./target-options";

interface StatusFlags extends TargetFlags {
  warnDays?: string;
  timeout?: string;
  probe?: boolean;
}

/** `npm run status`: report the health of the vault's secrets without changing anything. */
export function statusCommand(): Command {
  return addTargetOptions(
    new Command("npm run status --").description(
      "Report whether the vault is reachable and when the client secret and the refresh token expire.\n" +
        "Reads secret metadata only: redeems nothing and writes nothing (unless --probe). Exits 3 when something needs attention.",
    ),
    true,
  )
    .option("--warn-days <days>", "treat a secret expiring within this many days (inclusive) as needing attention (default 14)")
    .option("--access-wait <seconds>", "keep retrying a Key Vault 403 this long while a new role assignment propagates (default 0)")
    .option("--timeout <seconds>", "give up after this many seconds, plus --access-wait (default 60)")
    .option("--probe", "also redeem the stored refresh token once, and store the new one like `npm run refresh`, to prove it works")
    .option("--json", "print one JSON document with the report on stdout (stable field names, for monitors)");
}

function line(label: string, s: ExpiringSecretStatus): string {
  if (s.state === "deleted") return `${label}: DELETED${s.scheduledPurgeDate ? `, purged on ${s.scheduledPurgeDate} unless recovered` : ""}`;
  if (!s.present) return `${label}: MISSING`;
  const when = s.expiresOn ? `expires ${s.expiresOn} (${s.daysToExpiry} days)` : "no expiry set";
  return `${label}: ${s.state === "ok" ? "ok" : s.state.toUpperCase()}, ${when}`;
}

function humanReport(r: StatusReport): string[] {
  const t = r.refreshToken;
  const lines = [
    `Key Vault ${r.keyVaultUri}: reachable`,
    `Client id secret: ${simpleState(r.clientId)}; tenant id secret: ${simpleState(r.tenantId)}`,
    line("Client secret", r.clientSecret),
    line("Refresh token", t),
  ];
  if (t.present) {
    lines.push(`  consented by ${t.consentedBy ?? "unknown"} at ${t.consentedAt ?? "unknown"}, MFA at consent: ${t.mfa === null ? "unknown" : t.mfa ? "yes" : "NO"}`);
    lines.push(`  last refreshed ${t.refreshedAt ?? "unknown"}${t.expirySource === "lastWrite" ? " (expiry estimated from the last write + 90 days)" : ""}`);
  }
  if (r.probe?.ok) lines.push(`Probe: redeemed the refresh token and stored the new one (version ${r.probe.version ?? "?"}); it works.`);
  else if (r.probe) lines.push(`Probe: FAILED: ${r.probe.message}`);
  else lines.push(`Note: ${METADATA_CAVEAT}`);
  if (r.healthy) lines.push(`✔ Healthy: nothing expires within ${r.warnDays} days.`);
  for (const a of r.actions) lines.push(`! ${a.secret}: ${a.problem}. Fix: ${a.fix}`);
  return lines;
}

function simpleState(s: StatusReport["clientId"]): string {
  if (s.state === "deleted") return `DELETED${s.scheduledPurgeDate ? ` (purged on ${s.scheduledPurgeDate})` : ""}`;
  return s.present ? "present" : "MISSING";
}

/** Runs the status command line and resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand<StatusFlags>(statusCommand(), argv, async (flags, reporter) => {
    const problems = new OptionProblems();
    const warnDays = problems.integer("--warn-days", flags.warnDays, 14, 0, 365);
    const accessWait = problems.integer("--access-wait", flags.accessWait, 0, 0, 3600);
    const timeout = problems.integer("--timeout", flags.timeout, 60, 1, 3600);
    const target = checkTargetFlags(flags, problems);
    problems.throwIfAny();

    const deadline = commandDeadline(timeout, accessWait);
    try {
      const where = await resolveTarget(target);
      const store = openVaultStore(where, accessWait, reporter, deadline);
      const probe = flags.probe
        ? async () => {
            reporter.step(`Probing: redeeming the refresh token stored in ${where.keyVaultUri}`);
            // Loaded only for --probe: plain status needs no MSAL.
            const { RefreshTokenRotator } = await import("../refresh-token-rotator.js");
            const rotator = new RefreshTokenRotator({ store, authorityHost: where.authorityHost, onSecret: (value) => reporter.protect(value), network: { deadline } });
            return rotator.redeem([partnerCenterScope(where.partnerCenterEndpoint)]);
          }
        : undefined;
      const report = await readStatus({ store, warnDays, probe });
      reporter.result(humanReport(report), { ok: true, ...report });
      return report.healthy ? ExitCode.Ok : ExitCode.ActionNeeded;
    } finally {
      deadline.dispose();
    }
  });
}

if (require.main === module) exitWith(main(process.argv));
