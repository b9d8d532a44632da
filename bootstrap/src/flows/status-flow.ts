import { partnerCenterScope } from "../core/contract";
import type { Progress } from "../core/progress";
import { withDeadline } from "./flow-deadline";
import { readStatus, type StatusReport } from "./status-report";
import { openVaultStore, resolveTarget, type TargetSource } from "../vault/vault-target";

/** Options for {@link runStatus}. */
export interface StatusFlowOptions {
  source: TargetSource;
  /** Warn when a secret expires within this many days (inclusive). */
  warnDays: number;
  /** An overdue refresh after this many days (default 8). */
  maxAgeDays?: number;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms). */
  accessWaitMs: number;
  /** The overall deadline, on top of `accessWaitMs` (ms). */
  timeoutMs: number;
  /** Also redeem the stored refresh token once (and store the rotated one). */
  probe: boolean;
  progress: Progress;
  signal?: AbortSignal;
}

/**
 * Reads the health of the vault's secrets (metadata only, unless `probe`).
 * The report says whether anything needs a person (`healthy: false`).
 */
export async function runStatus(options: StatusFlowOptions): Promise<StatusReport> {
  const { progress } = options;
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const where = await resolveTarget(options.source);
    const store = openVaultStore(where, options.accessWaitMs, progress, deadline);
    const probe = options.probe
      ? async () => {
          progress.step(`Probing: redeeming the refresh token stored in ${where.keyVaultUri}`);
          // Loaded only for --probe: plain status needs no MSAL.
          const { RefreshTokenRotator } = await import("../entra/refresh-token-rotator.js");
          const rotator = new RefreshTokenRotator({ store, authorityHost: where.authorityHost, onSecret: (value) => progress.protect(value), network: { deadline } });
          return rotator.redeem([partnerCenterScope(where.partnerCenterEndpoint)]);
        }
      : undefined;
    const alerts = where.outputs ? { actionGroupId: where.outputs.alertActionGroupId, since: where.outputs.alertsSince } : undefined;
    return await readStatus({ store, warnDays: options.warnDays, maxAgeDays: options.maxAgeDays, alerts, probe });
  });
}
