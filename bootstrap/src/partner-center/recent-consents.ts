/**
 * The customer tenants this process consented the app into, and when — so that an AADSTS700016 ("application not
 * found in the directory") right after a consent is explained as propagation, not as a missing consent. A freshly
 * consented app can take minutes to appear in the customer tenant (CIPP-API maps AADSTS650051 to "try again in 30
 * seconds"; /work/shared/reference/real-service-answers.md, "Partner Center consent").
 */

/** How long after a consent a 700016 in that tenant counts as propagation. */
export const CONSENT_PROPAGATION_MS = 15 * 60_000;

const consentedAt = new Map<string, number>();

/** Records that the app was consented into `tenant` (id or domain) at `at` (ms). */
export function noteConsent(tenant: string, at: number = Date.now()): void {
  consentedAt.set(tenant.trim().toLowerCase(), at);
}

/** When this process consented the app into `tenant`, if that was less than {@link CONSENT_PROPAGATION_MS} ago. */
export function recentConsent(tenant: string, now: number = Date.now()): number | undefined {
  const at = consentedAt.get(tenant.trim().toLowerCase());
  return at !== undefined && now - at >= 0 && now - at < CONSENT_PROPAGATION_MS ? at : undefined;
}

/** Forgets every recorded consent (a new run of a long-lived process). */
export function forgetConsents(): void {
  consentedAt.clear();
}
