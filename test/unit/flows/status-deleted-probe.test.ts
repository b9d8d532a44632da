/** judgeStatus with deleted secrets and a probe result: states, purge dates, actions and the verdict basis. */
import { describe, expect, it } from "vitest";
import { DEFAULT_SECRET_NAMES } from "../../../bootstrap/src/core/contract";
import { judgeStatus, type ProbeResult } from "../../../bootstrap/src/flows/status-report";
import type { DeletedSecretInfo, SecretMetadata } from "../../../bootstrap/src/vault/vault-store";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-03-01T12:00:00.000Z");
const VAULT = "https://kv-pcsam-test.vault.azure.net/";
/** A client-secret stack's names (appCredential: secret). */
const NAMES = { clientId: DEFAULT_SECRET_NAMES.clientId, clientSecret: DEFAULT_SECRET_NAMES.clientSecret, tenantId: DEFAULT_SECRET_NAMES.tenantId, refreshToken: DEFAULT_SECRET_NAMES.refreshToken };
const PURGE = new Date("2026-05-20T00:00:00.000Z");
const az = (_verb: "recover", name: string) => `az keyvault secret recover --vault-name kv-pcsam-test --name ${name}`;

function meta(name: string, overrides: Partial<SecretMetadata> = {}): SecretMetadata {
  return { name, enabled: true, createdOn: new Date(NOW.getTime() - 10 * DAY), updatedOn: new Date(NOW.getTime() - 10 * DAY), tags: {}, ...overrides };
}

function vaultWithout(...missing: Array<keyof typeof NAMES>): Map<string, SecretMetadata> {
  const all: Record<keyof typeof NAMES, SecretMetadata> = {
    clientId: meta(NAMES.clientId),
    tenantId: meta(NAMES.tenantId),
    clientSecret: meta(NAMES.clientSecret, { expiresOn: new Date(NOW.getTime() + 200 * DAY) }),
    refreshToken: meta(NAMES.refreshToken, { expiresOn: new Date(NOW.getTime() + 80 * DAY) }),
  };
  return new Map(Object.entries(all).filter(([key]) => !missing.includes(key as keyof typeof NAMES)).map(([, m]) => [m.name, m]));
}

const deleted = (...keys: Array<keyof typeof NAMES>) =>
  new Map<string, DeletedSecretInfo>(keys.map((key) => [NAMES[key], { name: NAMES[key], deletedOn: new Date(NOW.getTime() - DAY), scheduledPurgeDate: PURGE }]));

describe("judgeStatus with soft-deleted secrets", () => {
  it("reports a deleted refresh token as `deleted` with its purge date, and the recover-then-refresh fix", () => {
    const report = judgeStatus(VAULT, NAMES, vaultWithout("refreshToken"), 14, NOW, { deleted: deleted("refreshToken"), azCommand: az });

    expect(report.healthy).toBe(false);
    expect(report.refreshToken).toMatchObject({ present: false, state: "deleted", scheduledPurgeDate: PURGE.toISOString() });
    expect(report.actions).toEqual([
      {
        secret: NAMES.refreshToken,
        problem: `deleted, purged on ${PURGE.toISOString()} unless recovered`,
        fix: `\`az keyvault secret recover --vault-name kv-pcsam-test --name ${NAMES.refreshToken}\`, then \`partner-center-sam refresh\``,
      },
    ]);
  });

  it("reports deleted app secrets with the recover-then-`pulumi up` fix", () => {
    const report = judgeStatus(VAULT, NAMES, vaultWithout("clientId", "clientSecret"), 14, NOW, { deleted: deleted("clientId", "clientSecret"), azCommand: az });

    expect(report.clientId).toEqual({ name: NAMES.clientId, present: false, state: "deleted", scheduledPurgeDate: PURGE.toISOString() });
    expect(report.tenantId).toEqual({ name: NAMES.tenantId, present: true });
    expect(report.clientSecret!).toMatchObject({ state: "deleted", scheduledPurgeDate: PURGE.toISOString() });
    expect(report.actions.map((a) => [a.secret, a.fix])).toEqual([
      [NAMES.clientId, `\`az keyvault secret recover --vault-name kv-pcsam-test --name ${NAMES.clientId}\`, then \`pulumi up\``],
      [NAMES.clientSecret, `\`az keyvault secret recover --vault-name kv-pcsam-test --name ${NAMES.clientSecret}\`, then \`pulumi up\``],
    ]);
  });

  it("keeps `missing` (and no purge date) for a secret that is neither live nor deleted", () => {
    const report = judgeStatus(VAULT, NAMES, vaultWithout("refreshToken"), 14, NOW, { deleted: new Map(), azCommand: az });

    expect(report.refreshToken.state).toBe("missing");
    expect(report.refreshToken).not.toHaveProperty("scheduledPurgeDate");
    expect(report.actions).toEqual([{ secret: NAMES.refreshToken, problem: "missing", fix: "partner-center-sam bootstrap" }]);
  });
});

describe("judgeStatus with a probe", () => {
  it("says the verdict is from metadata and has no probe without one", () => {
    const report = judgeStatus(VAULT, NAMES, vaultWithout(), 14, NOW);

    expect(report).toMatchObject({ healthy: true, verdictBasis: "metadata", probe: null });
  });

  it("records a successful probe and stays healthy", () => {
    const probe: ProbeResult = { ok: true, refreshedAt: NOW.toISOString(), version: "abc", refreshTokenExpiresOn: new Date(NOW.getTime() + 90 * DAY).toISOString() };

    const report = judgeStatus(VAULT, NAMES, vaultWithout(), 14, NOW, { probe });

    expect(report).toMatchObject({ healthy: true, verdictBasis: "probe", probe, actions: [] });
  });

  it("turns a failed probe of a token metadata calls healthy into an `npm run bootstrap` action", () => {
    const probe: ProbeResult = { ok: false, code: "consent_required", message: "The stored refresh token was revoked (AADSTS50173)." };

    const report = judgeStatus(VAULT, NAMES, vaultWithout(), 14, NOW, { probe });

    expect(report.healthy).toBe(false);
    expect(report.refreshToken.state).toBe("ok");
    expect(report.actions).toEqual([
      { secret: NAMES.refreshToken, problem: "the probe could not redeem it: The stored refresh token was revoked (AADSTS50173).", fix: "partner-center-sam bootstrap" },
    ]);
  });
});
