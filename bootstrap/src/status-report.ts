import { REFRESH_TOKEN_LIFETIME_DAYS } from "./contract";
import type { SecretMetadata, VaultStore } from "./vault-store";

const DAY_MS = 24 * 60 * 60 * 1000;

/** ok: nothing to do; expiring: within the warning window; expired, missing or disabled: act now. */
export type SecretState = "ok" | "expiring" | "expired" | "missing" | "disabled";

/** Health of one secret with an expiry. */
export interface ExpiringSecretStatus {
  name: string;
  present: boolean;
  state: SecretState;
  /** ISO 8601, or null when unknown. */
  expiresOn: string | null;
  /** Whole days left (negative once expired), or null when unknown. */
  daysToExpiry: number | null;
}

/** Health of the refresh token, with the consent facts the bootstrap recorded. */
export interface RefreshTokenStatus extends ExpiringSecretStatus {
  /** `attribute`: the secret's expiresOn; `lastWrite`: last write + 90 days. */
  expirySource: "attribute" | "lastWrite" | null;
  consentedBy: string | null;
  consentedAt: string | null;
  refreshedAt: string | null;
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
  clientId: { name: string; present: boolean };
  tenantId: { name: string; present: boolean };
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
}

/** Reads the secrets' metadata (never their values) and judges their health. */
export async function readStatus(options: StatusOptions): Promise<StatusReport> {
  const { store, warnDays } = options;
  const now = options.now ?? new Date();
  const metadata = await store.readMetadata();
  return judgeStatus(store.keyVaultUri, store.secretNames, metadata, warnDays, now);
}

/** Pure part of {@link readStatus}: turns metadata into a report. */
export function judgeStatus(
  keyVaultUri: string,
  names: VaultStore["secretNames"],
  metadata: Map<string, SecretMetadata>,
  warnDays: number,
  now: Date,
): StatusReport {
  const actions: StatusAction[] = [];
  const simple = (name: string) => {
    const present = metadata.get(name)?.enabled === true;
    if (!present) actions.push({ secret: name, problem: metadata.has(name) ? "disabled" : "missing", fix: "pulumi up" });
    return { name, present };
  };
  const clientId = simple(names.clientId);
  const tenantId = simple(names.tenantId);

  const secretMeta = metadata.get(names.clientSecret);
  const clientSecret = expiring(names.clientSecret, secretMeta, secretMeta?.expiresOn, warnDays, now);
  if (clientSecret.state !== "ok") {
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
    mfa: tags.mfa === undefined ? null : tags.mfa === "true",
  };
  if (refreshToken.state === "missing" || refreshToken.state === "expired" || refreshToken.state === "disabled") {
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
