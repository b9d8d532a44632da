import { CLIENT_SECRET_GRACE_DAYS } from "./constants";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The client secret's end date: the next scheduled rotation plus the grace
 * period, as RFC 3339 in UTC without fractional seconds.
 */
export function clientSecretEndDate(nextRotationRfc3339: string, graceDays = CLIENT_SECRET_GRACE_DAYS): string {
  const nextRotation = Date.parse(nextRotationRfc3339);
  if (Number.isNaN(nextRotation)) throw new Error(`Not an RFC 3339 time: ${JSON.stringify(nextRotationRfc3339)}`);
  return new Date(nextRotation + graceDays * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Seconds since 1970-01-01T00:00:00Z, as Key Vault's `expires` attribute wants them. */
export function unixSeconds(rfc3339: string): number {
  return Math.floor(Date.parse(rfc3339) / 1000);
}
