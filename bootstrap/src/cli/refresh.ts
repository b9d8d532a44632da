#!/usr/bin/env node
import { Command } from "commander";
import { ExitCode } from "../errors";
import { partnerCenterScope } from "../contract";
import { fetchOrganizationProfile, type OrganizationProfile } from "../partner-center";
import { RefreshTokenRotator } from "../refresh-token-rotator";
import type { Reporter } from "../reporter";
import { CancelledError, type Deadline } from "../retry";
import { checkTargetFlags, commandDeadline, openVaultStore, OptionProblems, resolveTarget, type TargetFlags } from "./options";
import { exitWith, runCommand } from "./run-command";
import { addTargetOptions } from "./target-options";

interface RefreshFlags extends TargetFlags {
  verify: boolean;
  timeout?: string;
}

/** Exit codes for a command ended by a signal (128 + signal number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** `npm run refresh`: redeem the stored refresh token and store the rotated one. */
export function refreshCommand(): Command {
  return addTargetOptions(
    new Command("npm run refresh --").description(
      "Redeem the refresh token stored in Key Vault and store the new one it returns, so the token stays alive.\n" +
        "Finds the vault through the stack outputs, or through --vault-uri alone (for jobs without the Pulumi CLI).",
    ),
    true,
  )
    .option("--access-wait <seconds>", "keep retrying a Key Vault 403 this long while a new role assignment propagates (default 60)")
    .option("--timeout <seconds>", "give up after this many seconds, plus --access-wait (default 120)")
    .option("--no-verify", "skip the Partner Center call that checks the new access token")
    .option("--json", "print one JSON document with the result on stdout; progress goes to stderr");
}

/** Runs the refresh command line and resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand<RefreshFlags>(refreshCommand(), argv, async (flags, reporter) => {
    const problems = new OptionProblems();
    const accessWait = problems.integer("--access-wait", flags.accessWait, 60, 0, 3600);
    const timeout = problems.integer("--timeout", flags.timeout, 120, 1, 3600);
    const target = checkTargetFlags(flags, problems);
    problems.throwIfAny();

    const deadline = commandDeadline(timeout, accessWait);
    const cancelled = cancelOnSignals(deadline);
    try {
      return await refresh(flags, target, accessWait, deadline, reporter);
    } catch (error) {
      // A signal aborts whatever is in flight; the error says what was and was not done (e.g. redeemed but not stored).
      if (cancelled.signal === undefined) throw error;
      reporter.failure(error);
      return SIGNAL_EXIT[cancelled.signal] ?? ExitCode.Failure;
    } finally {
      cancelled.dispose();
      deadline.dispose();
    }
  });
}

/** On SIGINT/SIGTERM, cancels everything running under `deadline` (the command then reports and exits 130/143). */
function cancelOnSignals(deadline: Deadline): { signal?: string; dispose: () => void } {
  const state: { signal?: string; dispose: () => void } = { dispose: () => undefined };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      state.signal ??= name;
      deadline.cancel(new CancelledError(name));
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  state.dispose = () => handlers.forEach((off) => off());
  return state;
}

async function refresh(flags: RefreshFlags, target: TargetFlags, accessWait: number, deadline: Deadline, reporter: Reporter): Promise<number> {
  {
    const where = await resolveTarget(target);
    const store = openVaultStore(where, accessWait, reporter, deadline);
    reporter.step(`Redeeming the refresh token stored in ${where.keyVaultUri}`);
    const rotator = new RefreshTokenRotator({ store, authorityHost: where.authorityHost, onSecret: (value) => reporter.protect(value), network: { deadline } });
    const redemption = await rotator.redeem([partnerCenterScope(where.partnerCenterEndpoint)]);
    reporter.step(`Stored the rotated refresh token as a new version of "${where.secretNames.refreshToken}".`);

    let organization: OrganizationProfile | null = null;
    if (flags.verify) {
      reporter.step(`Verifying the new token with Partner Center (${where.partnerCenterEndpoint}).`);
      organization = await fetchOrganizationProfile(where.partnerCenterEndpoint, redemption.accessToken, { deadline });
    }
    const document = {
      ok: true,
      keyVaultUri: where.keyVaultUri,
      secretName: where.secretNames.refreshToken,
      version: redemption.storedVersion ?? null,
      refreshedAt: redemption.tags.refreshedAt,
      refreshTokenExpiresOn: redemption.refreshTokenExpiresOn.toISOString(),
      accessTokenExpiresOn: redemption.expiresOn.toISOString(),
      consentedBy: redemption.tags.consentedBy,
      consentedAt: redemption.tags.consentedAt,
      mfa: redemption.tags.mfa === "true",
      verified: organization !== null,
      organization,
    };
    reporter.result(
      [
        `✔ Refreshed: the new refresh token is stored (version ${document.version ?? "?"}) and expires on ${document.refreshTokenExpiresOn} unless used again.`,
        `  Consented by ${document.consentedBy} on ${document.consentedAt}.`,
        organization ? `  Partner Center organization: ${organization.companyName} (${organization.id}).` : "  Partner Center check skipped (--no-verify).",
      ],
      document,
    );
    return ExitCode.Ok;
  }
}

if (require.main === module) exitWith(main(process.argv));
