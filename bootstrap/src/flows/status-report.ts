import { CERTIFICATE_THUMBPRINT_TAG, REFRESH_TOKEN_LIFETIME_DAYS } from "../core/contract";
import type { Redemption } from "../entra/refresh-token-rotator";
import type { DeletedSecretInfo, SecretMetadata, VaultStore } from "../vault/vault-store";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * ok: nothing to do; expiring: within the warning window; expired, missing,
 * disabled or deleted (soft-deleted, recoverable until its purge date): act now.
 */
export type SecretState = "ok" | "expiring" | "expired" | "missing" | "disabled" | "deleted";

/** What the verdict on the refresh token rests on. */
export const METADATA_CAVEAT =
  "The refresh token's health is judged from vault metadata (its expiresOn, or last write + 90 days); a token can also end early (password reset, Conditional Access sign-in frequency, admin revocation). Run with --probe to redeem it once and prove it works.";

/** Health of one secret with an expiry. */
export interface ExpiringSecretStatus {
  name: string;
  present: boolean;
  state: SecretState;
  /** ISO 8601, or null when unknown. */
  expiresOn: string | null;
  /** Whole days left (negative once expired), or null when unknown. */
  daysToExpiry: number | null;
  /** Only when `state` is `deleted`: when the vault purges it for good (ISO 8601), or null when unknown. */
  scheduledPurgeDate?: string | null;
}

/** Presence of a secret without an expiry (client id, tenant id). */
export interface SimpleSecretStatus {
  name: string;
  present: boolean;
  /** Only when the secret is soft-deleted. */
  state?: "deleted";
  /** Only when `state` is `deleted`. */
  scheduledPurgeDate?: string | null;
}

/** The result of `status --probe`: one redemption of the stored token, written back like `refresh`. */
export type ProbeResult =
  | { ok: true; refreshedAt: string; version: string | null; refreshTokenExpiresOn: string }
  | { ok: false; code: string; message: string; /** Entra ID's error number (e.g. `700082`), when it gave one. */ aadsts?: string | null };

/** Health of the refresh token, with the consent facts the bootstrap recorded. */
export interface RefreshTokenStatus extends ExpiringSecretStatus {
  /** `attribute`: the secret's expiresOn; `lastWrite`: last write + 90 days. */
  expirySource: "attribute" | "lastWrite" | null;
  consentedBy: string | null;
  consentedAt: string | null;
  /** When it was last refreshed: the bootstrap's `refreshedAt` tag, else the vault's last write. */
  refreshedAt: string | null;
  /** Whole days since the vault last stored it (its current version), or null when unknown. */
  refreshAgeDays: number | null;
  /**
   * When the refresh-token secret was last written (the vault's `updated`
   * attribute). `token`, `call` and the provider write at most once a day, so this
   * is at most a day behind the last use while they run daily.
   */
  lastWrittenAt: string | null;
  mfa: boolean | null;
}

/**
 * The stack's dead-man's switch (Key Vault expiry events → Azure Monitor alert →
 * action group), from the stack outputs. Key Vault raises expiry events only
 * for versions written after the event subscription exists.
 */
export interface AlertsStatus {
  /** Whether the stack deploys the alerts; null when the stack outputs were not read (`--vault-uri`). */
  configured: boolean | null;
  actionGroupId: string | null;
  /** When the alerts were first deployed (ISO 8601), or null when unknown. */
  since: string | null;
  /** Whether the current versions of the watched secrets were written after `since` (so they raise events); null when unknown. */
  covered: boolean | null;
  /** Watched secrets whose current version predates the alerts. */
  uncovered: string[];
  /** What to do about `uncovered`, or null. */
  hint: string | null;
}

/** The alert facts of the stack outputs. */
export interface AlertOutputs {
  actionGroupId?: string;
  since?: string;
}

/** Something a person must do, and the command that does it. */
export interface StatusAction {
  secret: string;
  problem: string;
  fix: string;
}

/** The certificate secret: like the client secret, plus the certificate's SHA-256 thumbprint (from the secret's tag; null without one). */
export interface CertificateStatus extends ExpiringSecretStatus {
  thumbprintSha256: string | null;
}

/** The document `npm run status -- --json` prints (stable field names). */
export interface StatusReport {
  healthy: boolean;
  checkedAt: string;
  keyVaultUri: string;
  vaultReachable: true;
  warnDays: number;
  /** A refresh token last stored longer ago than this many days counts as an overdue refresh; null: not checked. */
  maxAgeDays: number | null;
  /** `metadata`: judged from vault metadata only; `probe`: the stored token was also redeemed once. */
  verdictBasis: "metadata" | "probe";
  /** The probe's result with --probe, else null. */
  probe: ProbeResult | null;
  clientId: SimpleSecretStatus;
  tenantId: SimpleSecretStatus;
  /** The client secret; absent when the stack's outputs name none (a certificate stack). */
  clientSecret?: ExpiringSecretStatus;
  /** The certificate (key and certificate PEM); absent when the stack's outputs name none (a client-secret stack). */
  clientCertificate?: CertificateStatus;
  refreshToken: RefreshTokenStatus;
  alerts: AlertsStatus;
  actions: StatusAction[];
}

/** Options for {@link readStatus}. */
export interface StatusOptions {
  store: VaultStore;
  /** Warn when a secret expires within this many days (inclusive). */
  warnDays: number;
  /** Overdue refresh after this many days (the CLI's default is {@link DEFAULT_MAX_AGE_DAYS}); undefined: not checked. */
  maxAgeDays?: number;
  /** The stack outputs' alert facts; undefined when the outputs were not read. */
  alerts?: AlertOutputs;
  now?: Date;
  /**
   * With --probe: redeems the stored refresh token once (writing the rotated one
   * back). Resolves to the redemption, or rejects; a ConsentRequiredError (exit 3)
   * becomes a failed probe in the report, any other error fails the command.
   */
  probe?: () => Promise<Redemption>;
}

/**
 * Reads the secrets' metadata (never their values), looks for the deleted state
 * of any that are missing, and judges their health.
 */
export async function readStatus(options: StatusOptions): Promise<StatusReport> {
  const { store, warnDays } = options;
  const now = options.now ?? new Date();
  let probe: ProbeResult | null = null;
  if (options.probe) {
    // First, so the metadata read below already shows the version the probe wrote.
    try {
      const redemption = await options.probe();
      probe = {
        ok: true,
        refreshedAt: redemption.tags.refreshedAt,
        version: redemption.storedVersion ?? null,
        refreshTokenExpiresOn: redemption.refreshTokenExpiresOn.toISOString(),
      };
    } catch (error) {
      const e = error as { exitCode?: number; code?: string; message?: string; aadsts?: string };
      if (e.exitCode !== 3) throw error;
      probe = { ok: false, code: e.code ?? "consent_required", message: e.message ?? String(error), aadsts: e.aadsts ?? null };
    }
  }
  const metadata = await store.readMetadata();
  const deleted = new Map<string, DeletedSecretInfo>();
  for (const name of Object.values(store.secretNames)) {
    if (name === undefined || metadata.has(name)) continue;
    const found = await store.readDeleted(name);
    if (found) deleted.set(name, found);
  }
  return judgeStatus(store.keyVaultUri, store.secretNames, metadata, warnDays, now, {
    deleted,
    probe,
    azCommand: (verb, name) => store.azCommand(verb, name),
    maxAgeDays: options.maxAgeDays,
    alerts: options.alerts,
  });
}

/** What {@link judgeStatus} knows beyond the live secrets' metadata. */
export interface JudgeExtras {
  deleted?: Map<string, DeletedSecretInfo>;
  probe?: ProbeResult | null;
  /** Builds the `az keyvault secret recover` command for a deleted secret. */
  azCommand?: (verb: "recover", name: string) => string;
  /** Overdue refresh after this many days; undefined: not checked. */
  maxAgeDays?: number;
  /** The stack outputs' alert facts; undefined when the outputs were not read. */
  alerts?: AlertOutputs;
}

/** `--max-age-days` default: a weekly refresh that missed once. */
export const DEFAULT_MAX_AGE_DAYS = 8;

/** The fix for an overdue refresh. */
export const OVERDUE_FIX = "partner-center-sam refresh, and check the scheduled refresh (the workflow or job that should run it every week)";

/** Pure part of {@link readStatus}: turns metadata into a report. */
export function judgeStatus(
  keyVaultUri: string,
  names: VaultStore["secretNames"],
  metadata: Map<string, SecretMetadata>,
  warnDays: number,
  now: Date,
  extras: JudgeExtras = {},
): StatusReport {
  const actions: StatusAction[] = [];
  const deleted = extras.deleted ?? new Map<string, DeletedSecretInfo>();
  const recover = (name: string) => `\`${extras.azCommand?.("recover", name) ?? `az keyvault secret recover --name ${name}`}\``;
  const purgeDate = (name: string) => deleted.get(name)?.scheduledPurgeDate?.toISOString() ?? null;
  const deletedProblem = (name: string) => `deleted${purgeDate(name) ? `, purged on ${purgeDate(name)} unless recovered` : ""}`;
  const simple = (name: string): SimpleSecretStatus => {
    const present = metadata.get(name)?.enabled === true;
    if (!present && deleted.has(name)) {
      actions.push({ secret: name, problem: deletedProblem(name), fix: `${recover(name)}, then \`pulumi up\`` });
      return { name, present, state: "deleted", scheduledPurgeDate: purgeDate(name) };
    }
    if (!present) actions.push({ secret: name, problem: metadata.has(name) ? "disabled" : "missing", fix: "pulumi up" });
    return { name, present };
  };
  const clientId = simple(names.clientId);
  const tenantId = simple(names.tenantId);

  // The app credential(s) the outputs name, judged alike: expiry from the secret's `expires` (= the credential's end date).
  const credential = (name: string, replace: string): ExpiringSecretStatus => {
    const meta = metadata.get(name);
    const status = expiring(name, meta, meta?.expiresOn, warnDays, now);
    if (!meta && deleted.has(name)) {
      Object.assign(status, { state: "deleted", scheduledPurgeDate: purgeDate(name) });
      actions.push({ secret: name, problem: deletedProblem(name), fix: `${recover(name)}, then \`pulumi up\`` });
    } else if (status.state !== "ok") {
      actions.push({ secret: name, problem: describe(status), fix: `pulumi up (rotate now with \`pulumi up --replace\` on ${replace})` });
    }
    return status;
  };
  // With both named (`--vault-uri` assumes the default names), the one the vault lacks is not a problem while the other is there.
  const judged = (name: string | undefined, other: string | undefined): name is string =>
    name !== undefined && !(other !== undefined && !metadata.has(name) && !deleted.has(name) && metadata.has(other));
  const clientSecret = judged(names.clientSecret, names.clientCertificate) ? credential(names.clientSecret, "the app password") : undefined;
  const clientCertificate: CertificateStatus | undefined =
    !judged(names.clientCertificate, names.clientSecret)
      ? undefined
      : {
          ...credential(names.clientCertificate, "the certificate's private key"),
          thumbprintSha256: metadata.get(names.clientCertificate)?.tags[CERTIFICATE_THUMBPRINT_TAG] ?? null,
        };

  const tokenMeta = metadata.get(names.refreshToken);
  const lastWrite = tokenMeta?.updatedOn ?? tokenMeta?.createdOn;
  const tokenExpiry = tokenMeta?.expiresOn ?? (lastWrite ? new Date(lastWrite.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS) : undefined);
  const tags = tokenMeta?.tags ?? {};
  const refreshToken: RefreshTokenStatus = {
    ...expiring(names.refreshToken, tokenMeta, tokenExpiry, warnDays, now),
    expirySource: tokenMeta?.expiresOn ? "attribute" : lastWrite ? "lastWrite" : null,
    consentedBy: tags.consentedBy ?? null,
    consentedAt: tags.consentedAt ?? null,
    refreshedAt: tags.refreshedAt ?? lastWrite?.toISOString() ?? null,
    refreshAgeDays: lastWrite ? Math.floor((now.getTime() - lastWrite.getTime()) / DAY_MS) : ageFromTag(tags.refreshedAt, now),
    lastWrittenAt: lastWrite?.toISOString() ?? null,
    mfa: tags.mfa === undefined ? null : tags.mfa === "true",
  };
  const probe = extras.probe ?? null;
  const maxAgeDays = extras.maxAgeDays ?? null;
  if (!tokenMeta && deleted.has(names.refreshToken)) {
    Object.assign(refreshToken, { state: "deleted", scheduledPurgeDate: purgeDate(names.refreshToken) });
    actions.push({ secret: names.refreshToken, problem: deletedProblem(names.refreshToken), fix: `${recover(names.refreshToken)}, then \`partner-center-sam refresh\`` });
  } else if (probe && !probe.ok && refreshToken.state !== "missing") {
    actions.push({ secret: names.refreshToken, problem: `the probe could not redeem it: ${probe.message}`, fix: "partner-center-sam bootstrap" });
  } else if (refreshToken.state === "missing" || refreshToken.state === "expired" || refreshToken.state === "disabled") {
    actions.push({ secret: names.refreshToken, problem: describe(refreshToken), fix: "partner-center-sam bootstrap" });
  } else if (refreshToken.state === "expiring") {
    actions.push({ secret: names.refreshToken, problem: describe(refreshToken), fix: "partner-center-sam refresh" });
  } else if (refreshToken.state === "ok" && maxAgeDays !== null && refreshToken.refreshAgeDays !== null && refreshToken.refreshAgeDays > maxAgeDays) {
    actions.push({
      secret: names.refreshToken,
      problem: `refresh overdue: last stored ${refreshToken.refreshAgeDays} days ago, more than ${maxAgeDays} (--max-age-days)`,
      fix: OVERDUE_FIX,
    });
  }
  // A token consented without MFA (bootstrap --allow-no-mfa) redeems, but Partner Center refuses App+User calls with it (900421).
  if (refreshToken.mfa === false && refreshToken.present && !actions.some((a) => a.secret === names.refreshToken && a.fix === "partner-center-sam bootstrap")) {
    actions.push({
      secret: names.refreshToken,
      problem: "it was consented without MFA (its mfa tag is false), so Partner Center refuses App+User calls made with it (error 900421)",
      fix: "partner-center-sam bootstrap (sign in again and complete MFA)",
    });
  }

  return {
    healthy: actions.length === 0,
    checkedAt: now.toISOString(),
    keyVaultUri,
    vaultReachable: true,
    warnDays,
    maxAgeDays,
    verdictBasis: probe ? "probe" : "metadata",
    probe,
    clientId,
    tenantId,
    ...(clientSecret ? { clientSecret } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
    refreshToken,
    alerts: alertsStatus(extras.alerts, [
      [names.refreshToken, lastWrite],
      // The app credential the stack maintains: the certificate, or the client secret.
      ...[names.clientCertificate, names.clientSecret]
        .filter((name): name is string => name !== undefined && metadata.has(name))
        .map((name): [string, Date | undefined] => [name, metadata.get(name)?.updatedOn ?? metadata.get(name)?.createdOn]),
    ]),
    actions,
  };
}

function ageFromTag(tag: string | undefined, now: Date): number | null {
  const at = tag ? Date.parse(tag) : NaN;
  return Number.isNaN(at) ? null : Math.floor((now.getTime() - at) / DAY_MS);
}

/**
 * Whether the watched secrets' current versions raise Key Vault's expiry
 * events: only versions written after the event subscription exists do
 * (learn.microsoft.com/azure/key-vault/general/event-grid-overview: "Notification
 * events are triggered only on new versions of secrets").
 */
export function alertsStatus(alerts: AlertOutputs | undefined, watched: Array<[string, Date | undefined]>): AlertsStatus {
  if (!alerts) return { configured: null, actionGroupId: null, since: null, covered: null, uncovered: [], hint: null };
  if (!alerts.actionGroupId) return { configured: false, actionGroupId: null, since: null, covered: null, uncovered: [], hint: null };
  const since = alerts.since ? new Date(alerts.since) : undefined;
  if (!since || Number.isNaN(since.getTime())) {
    return { configured: true, actionGroupId: alerts.actionGroupId, since: null, covered: null, uncovered: [], hint: null };
  }
  const uncovered = watched.filter(([, written]) => written !== undefined && written.getTime() < since.getTime()).map(([name]) => name);
  const hint = uncovered.length
    ? "Key Vault raises expiry events only for versions written after the alerts were enabled: run `partner-center-sam refresh` once (and for the certificate or client secret, its next rotation by `pulumi up` covers it)."
    : null;
  return { configured: true, actionGroupId: alerts.actionGroupId, since: since.toISOString(), covered: uncovered.length === 0, uncovered, hint };
}

function expiring(name: string, meta: SecretMetadata | undefined, expiresOn: Date | undefined, warnDays: number, now: Date): ExpiringSecretStatus {
  if (!meta) return { name, present: false, state: "missing", expiresOn: null, daysToExpiry: null };
  const daysToExpiry = expiresOn ? Math.floor((expiresOn.getTime() - now.getTime()) / DAY_MS) : null;
  let state: SecretState = "ok";
  if (!meta.enabled) state = "disabled";
  else if (expiresOn && expiresOn.getTime() <= now.getTime()) state = "expired";
  else if (daysToExpiry !== null && daysToExpiry <= warnDays) state = "expiring";
  return { name, present: true, state, expiresOn: expiresOn?.toISOString() ?? null, daysToExpiry };
}

function describe(s: ExpiringSecretStatus): string {
  switch (s.state) {
    case "missing":
      return "missing";
    case "disabled":
      return "disabled";
    case "expired":
      return `expired on ${s.expiresOn}`;
    default:
      return `expires in ${s.daysToExpiry} day(s), on ${s.expiresOn}`;
  }
}
