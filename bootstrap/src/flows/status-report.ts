import { REFRESH_TOKEN_LIFETIME_DAYS } from "../core/contract";
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
  | { ok: false; code: string; message: string };

/** Health of the refresh token, with the consent facts the bootstrap recorded. */
export interface RefreshTokenStatus extends ExpiringSecretStatus {
  /** `attribute`: the secret's expiresOn; `lastWrite`: last write + 90 days. */
  expirySource: "attribute" | "lastWrite" | null;
  consentedBy: string | null;
  consentedAt: string | null;
  refreshedAt: string | null;
  /**
   * When the refresh-token secret was last written (the vault's `updated`
   * attribute). `token`, `call` and the provider write at most once a day, so this
   * is at most a day behind the last use while they run daily.
   */
  lastWrittenAt: string | null;
  mfa: boolean | null;
}

/** Something a person must do, and the command that does it. */
export interface StatusAction {
  secret: string;
  problem: string;
  fix: string;
}

/** The document `npm run status -- --json` prints (stable field names). */
export interface StatusReport {
  healthy: boolean;
  checkedAt: string;
  keyVaultUri: string;
  vaultReachable: true;
  warnDays: number;
  /** `metadata`: judged from vault metadata only; `probe`: the stored token was also redeemed once. */
  verdictBasis: "metadata" | "probe";
  /** The probe's result with --probe, else null. */
  probe: ProbeResult | null;
  clientId: SimpleSecretStatus;
  tenantId: SimpleSecretStatus;
  clientSecret: ExpiringSecretStatus;
  refreshToken: RefreshTokenStatus;
  actions: StatusAction[];
}

/** Options for {@link readStatus}. */
export interface StatusOptions {
  store: VaultStore;
  /** Warn when a secret expires within this many days (inclusive). */
  warnDays: number;
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
      const e = error as { exitCode?: number; code?: string; message?: string };
      if (e.exitCode !== 3) throw error;
      probe = { ok: false, code: e.code ?? "consent_required", message: e.message ?? String(error) };
    }
  }
  const metadata = await store.readMetadata();
  const deleted = new Map<string, DeletedSecretInfo>();
  for (const name of Object.values(store.secretNames)) {
    if (metadata.has(name)) continue;
    const found = await store.readDeleted(name);
    if (found) deleted.set(name, found);
  }
  return judgeStatus(store.keyVaultUri, store.secretNames, metadata, warnDays, now, { deleted, probe, azCommand: (verb, name) => store.azCommand(verb, name) });
}

/** What {@link judgeStatus} knows beyond the live secrets' metadata. */
export interface JudgeExtras {
  deleted?: Map<string, DeletedSecretInfo>;
  probe?: ProbeResult | null;
  /** Builds the `az keyvault secret recover` command for a deleted secret. */
  azCommand?: (verb: "recover", name: string) => string;
}

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

  const secretMeta = metadata.get(names.clientSecret);
  const clientSecret = expiring(names.clientSecret, secretMeta, secretMeta?.expiresOn, warnDays, now);
  if (!secretMeta && deleted.has(names.clientSecret)) {
    Object.assign(clientSecret, { state: "deleted", scheduledPurgeDate: purgeDate(names.clientSecret) });
    actions.push({ secret: names.clientSecret, problem: deletedProblem(names.clientSecret), fix: `${recover(names.clientSecret)}, then \`pulumi up\`` });
  } else if (clientSecret.state !== "ok") {
    actions.push({ secret: names.clientSecret, problem: describe(clientSecret), fix: "pulumi up (rotate now with `pulumi up --replace` on the app password)" });
  }

  const tokenMeta = metadata.get(names.refreshToken);
  const lastWrite = tokenMeta?.updatedOn ?? tokenMeta?.createdOn;
  const tokenExpiry = tokenMeta?.expiresOn ?? (lastWrite ? new Date(lastWrite.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS) : undefined);
  const tags = tokenMeta?.tags ?? {};
  const refreshToken: RefreshTokenStatus = {
    ...expiring(names.refreshToken, tokenMeta, tokenExpiry, warnDays, now),
    expirySource: tokenMeta?.expiresOn ? "attribute" : lastWrite ? "lastWrite" : null,
    consentedBy: tags.consentedBy ?? null,
    consentedAt: tags.consentedAt ?? null,
    refreshedAt: tags.refreshedAt ?? null,
    lastWrittenAt: lastWrite?.toISOString() ?? null,
    mfa: tags.mfa === undefined ? null : tags.mfa === "true",
  };
  const probe = extras.probe ?? null;
  if (!tokenMeta && deleted.has(names.refreshToken)) {
    Object.assign(refreshToken, { state: "deleted", scheduledPurgeDate: purgeDate(names.refreshToken) });
    actions.push({ secret: names.refreshToken, problem: deletedProblem(names.refreshToken), fix: `${recover(names.refreshToken)}, then \`npm run refresh\`` });
  } else if (probe && !probe.ok && refreshToken.state !== "missing") {
    actions.push({ secret: names.refreshToken, problem: `the probe could not redeem it: ${probe.message}`, fix: "npm run bootstrap" });
  } else if (refreshToken.state === "missing" || refreshToken.state === "expired" || refreshToken.state === "disabled") {
    actions.push({ secret: names.refreshToken, problem: describe(refreshToken), fix: "npm run bootstrap" });
  } else if (refreshToken.state === "expiring") {
    actions.push({ secret: names.refreshToken, problem: describe(refreshToken), fix: "npm run refresh" });
  }

  return {
    healthy: actions.length === 0,
    checkedAt: now.toISOString(),
    keyVaultUri,
    vaultReachable: true,
    warnDays,
    verdictBasis: probe ? "probe" : "metadata",
    probe,
    clientId,
    tenantId,
    clientSecret,
    refreshToken,
    actions,
  };
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
