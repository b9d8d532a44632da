import { describe, expect, it } from "vitest";
import { DEFAULT_SECRET_NAMES } from "../../../bootstrap/src/core/contract";
import { judgeStatus } from "../../../bootstrap/src/flows/status-report";
import type { SecretMetadata } from "../../../bootstrap/src/vault/vault-store";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-03-01T12:00:00.000Z");
const VAULT = "https://kv-pcsam-test.vault.azure.net/";
/** A client-secret stack's names (appCredential: secret). */
const NAMES = { clientId: DEFAULT_SECRET_NAMES.clientId, clientSecret: DEFAULT_SECRET_NAMES.clientSecret, tenantId: DEFAULT_SECRET_NAMES.tenantId, refreshToken: DEFAULT_SECRET_NAMES.refreshToken };
const WARN_DAYS = 14;

const daysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY);

const CONSENT_TAGS = {
  consentedBy: "admin@contoso.example",
  consentedAt: "2026-01-10T08:00:00.000Z",
  refreshedAt: "2026-02-20T08:00:00.000Z",
  mfa: "true",
  tenantId: "11111111-2222-4333-8444-555555555555",
  clientId: "66666666-7777-4888-9999-aaaaaaaaaaaa",
};

function meta(name: string, overrides: Partial<SecretMetadata> = {}): SecretMetadata {
  return { name, enabled: true, createdOn: daysFromNow(-30), updatedOn: daysFromNow(-30), tags: {}, ...overrides };
}

/** A healthy vault; `changes` replaces (or with `undefined`, removes) single secrets. */
function vault(changes: Partial<Record<keyof typeof NAMES, SecretMetadata | undefined>> = {}): Map<string, SecretMetadata> {
  const secrets: Record<keyof typeof NAMES, SecretMetadata | undefined> = {
    clientId: meta(NAMES.clientId),
    tenantId: meta(NAMES.tenantId),
    clientSecret: meta(NAMES.clientSecret, { expiresOn: daysFromNow(200) }),
    refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(80), updatedOn: daysFromNow(-10), tags: CONSENT_TAGS }),
    ...changes,
  };
  return new Map(Object.values(secrets).flatMap((m) => (m ? [[m.name, m] as const] : [])));
}

const judge = (metadata: Map<string, SecretMetadata>, warnDays = WARN_DAYS) => judgeStatus(VAULT, NAMES, metadata, warnDays, NOW);

describe("judgeStatus", () => {
  it("reports a healthy vault with no actions", () => {
    const report = judge(vault());
    expect(report).toMatchObject({
      healthy: true,
      checkedAt: NOW.toISOString(),
      keyVaultUri: VAULT,
      vaultReachable: true,
      warnDays: WARN_DAYS,
      clientId: { name: NAMES.clientId, present: true },
      tenantId: { name: NAMES.tenantId, present: true },
      clientSecret: { present: true, state: "ok", daysToExpiry: 200, expiresOn: daysFromNow(200).toISOString() },
      refreshToken: { present: true, state: "ok", daysToExpiry: 80, expirySource: "attribute" },
      actions: [],
    });
  });

  describe("client secret", () => {
    it("is expiring when it expires in exactly warnDays days", () => {
      const report = judge(vault({ clientSecret: meta(NAMES.clientSecret, { expiresOn: daysFromNow(WARN_DAYS) }) }));
      expect(report.clientSecret!).toMatchObject({ state: "expiring", daysToExpiry: WARN_DAYS });
      expect(report.healthy).toBe(false);
      expect(report.actions).toEqual([
        { secret: NAMES.clientSecret, problem: `expires in 14 day(s), on ${daysFromNow(WARN_DAYS).toISOString()}`, fix: expect.stringContaining("pulumi up") },
      ]);
    });

    it("is ok when it expires one day after the warning window", () => {
      const report = judge(vault({ clientSecret: meta(NAMES.clientSecret, { expiresOn: daysFromNow(WARN_DAYS + 1) }) }));
      expect(report.clientSecret!.state).toBe("ok");
      expect(report.healthy).toBe(true);
    });

    it("follows the warnDays it is given", () => {
      const metadata = vault({ clientSecret: meta(NAMES.clientSecret, { expiresOn: daysFromNow(20) }) });
      expect(judge(metadata, 30).clientSecret!.state).toBe("expiring");
      expect(judge(metadata, 19).clientSecret!.state).toBe("ok");
    });

    it("is expired once its expiry has passed, with negative days", () => {
      const report = judge(vault({ clientSecret: meta(NAMES.clientSecret, { expiresOn: daysFromNow(-1) }) }));
      expect(report.clientSecret!).toMatchObject({ state: "expired", daysToExpiry: -1 });
      expect(report.actions[0]).toMatchObject({ secret: NAMES.clientSecret, problem: `expired on ${daysFromNow(-1).toISOString()}` });
    });

    it("is expired at the very moment it expires", () => {
      expect(judge(vault({ clientSecret: meta(NAMES.clientSecret, { expiresOn: NOW }) })).clientSecret!.state).toBe("expired");
    });

    it("is missing when the vault does not hold it", () => {
      const report = judge(vault({ clientSecret: undefined }));
      expect(report.clientSecret!).toEqual({ name: NAMES.clientSecret, present: false, state: "missing", expiresOn: null, daysToExpiry: null });
      expect(report.actions).toEqual([{ secret: NAMES.clientSecret, problem: "missing", fix: expect.stringContaining("pulumi up") }]);
    });

    it("is disabled, not ok, when the secret is disabled even though it has not expired", () => {
      const report = judge(vault({ clientSecret: meta(NAMES.clientSecret, { enabled: false, expiresOn: daysFromNow(200) }) }));
      expect(report.clientSecret!).toMatchObject({ present: true, state: "disabled" });
      expect(report.actions).toMatchObject([{ secret: NAMES.clientSecret, problem: "disabled" }]);
    });

    it("is ok without an expiry date", () => {
      const report = judge(vault({ clientSecret: meta(NAMES.clientSecret) }));
      expect(report.clientSecret!).toMatchObject({ state: "ok", expiresOn: null, daysToExpiry: null });
    });
  });

  describe("refresh token", () => {
    it("is missing, fixed by running the bootstrap", () => {
      const report = judge(vault({ refreshToken: undefined }));
      expect(report.refreshToken).toMatchObject({ present: false, state: "missing", expirySource: null, consentedBy: null, mfa: null });
      expect(report.actions).toEqual([{ secret: NAMES.refreshToken, problem: "missing", fix: "partner-center-sam bootstrap" }]);
    });

    it("is expired, fixed by running the bootstrap", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(-3) }) }));
      expect(report.refreshToken.state).toBe("expired");
      expect(report.actions).toMatchObject([{ secret: NAMES.refreshToken, fix: "partner-center-sam bootstrap" }]);
    });

    it("is disabled, fixed by running the bootstrap", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { enabled: false, expiresOn: daysFromNow(60) }) }));
      expect(report.refreshToken.state).toBe("disabled");
      expect(report.actions).toMatchObject([{ secret: NAMES.refreshToken, problem: "disabled", fix: "partner-center-sam bootstrap" }]);
    });

    it("is expiring within warnDays, fixed by running a refresh", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(WARN_DAYS) }) }));
      expect(report.refreshToken.state).toBe("expiring");
      expect(report.actions).toMatchObject([{ secret: NAMES.refreshToken, fix: "partner-center-sam refresh" }]);
    });

    it("expires 90 days after its last write when it has no expiresOn", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { createdOn: daysFromNow(-200), updatedOn: daysFromNow(-85) }) }));
      expect(report.refreshToken).toMatchObject({
        state: "expiring",
        expirySource: "lastWrite",
        daysToExpiry: 5,
        expiresOn: daysFromNow(5).toISOString(),
      });
      expect(report.actions).toMatchObject([{ secret: NAMES.refreshToken, fix: "partner-center-sam refresh" }]);
    });

    it("falls back to its creation time when it has neither expiresOn nor updatedOn", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { createdOn: daysFromNow(-91), updatedOn: undefined }) }));
      expect(report.refreshToken).toMatchObject({ state: "expired", expirySource: "lastWrite", daysToExpiry: -1 });
    });

    it("maps the consent tags the bootstrap writes", () => {
      const report = judge(vault());
      expect(report.refreshToken).toMatchObject({
        consentedBy: CONSENT_TAGS.consentedBy,
        consentedAt: CONSENT_TAGS.consentedAt,
        refreshedAt: CONSENT_TAGS.refreshedAt,
        mfa: true,
      });
    });

    it.each([
      ["false", false],
      ["true", true],
      [undefined, null],
    ])("reads the mfa tag %j as %j", (tag, expected) => {
      const tags: Record<string, string> = { ...CONSENT_TAGS };
      if (tag === undefined) delete tags.mfa;
      else tags.mfa = tag;
      expect(judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(60), tags }) })).refreshToken.mfa).toBe(expected);
    });

    it("needs attention, with the bootstrap as the fix, when the token was consented without MFA (Partner Center refuses it)", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(60), tags: { ...CONSENT_TAGS, mfa: "false" } }) }));
      expect(report.healthy).toBe(false);
      expect(report.actions).toEqual([
        expect.objectContaining({ secret: NAMES.refreshToken, problem: expect.stringMatching(/without MFA[\s\S]*900421/), fix: expect.stringContaining("partner-center-sam bootstrap") }),
      ]);
    });

    it("asks for the bootstrap once, not twice, for an expired token consented without MFA", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(-1), tags: { ...CONSENT_TAGS, mfa: "false" } }) }));
      expect(report.actions.filter((a) => a.secret === NAMES.refreshToken)).toHaveLength(1);
    });

    it("reports null consent facts when the token has no tags, and the vault's last write as refreshedAt", () => {
      const report = judge(vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(60) }) }));
      expect(report.refreshToken).toMatchObject({ consentedBy: null, consentedAt: null, refreshedAt: daysFromNow(-30).toISOString(), refreshAgeDays: 30, mfa: null });
      expect(report.healthy).toBe(true);
    });
  });

  describe("client id and tenant id", () => {
    it.each(["clientId", "tenantId"] as const)("asks for pulumi up when the %s secret is missing", (key) => {
      const report = judge(vault({ [key]: undefined }));
      expect(report[key]).toEqual({ name: NAMES[key], present: false });
      expect(report.healthy).toBe(false);
      expect(report.actions).toEqual([{ secret: NAMES[key], problem: "missing", fix: "pulumi up" }]);
    });

    it("treats a disabled client id as not present", () => {
      const report = judge(vault({ clientId: meta(NAMES.clientId, { enabled: false }) }));
      expect(report.clientId.present).toBe(false);
      expect(report.actions).toEqual([{ secret: NAMES.clientId, problem: "disabled", fix: "pulumi up" }]);
    });
  });

  it("lists an action for every secret that needs one", () => {
    const report = judge(new Map());
    expect(report.actions.map((a) => a.secret)).toEqual([NAMES.clientId, NAMES.tenantId, NAMES.clientSecret, NAMES.refreshToken]);
  });
});

describe("judgeStatus: overdue refresh and alert coverage", () => {
  const judgeWith = (metadata: Map<string, SecretMetadata>, extras: Parameters<typeof judgeStatus>[5]) => judgeStatus(VAULT, NAMES, metadata, WARN_DAYS, NOW, extras);

  it("flags a token stored more than maxAgeDays ago, and only when asked to check", () => {
    expect(judge(vault()).actions).toEqual([]);
    expect(judge(vault()).maxAgeDays).toBeNull();
    const report = judgeWith(vault(), { maxAgeDays: 8 });
    expect(report.refreshToken.refreshAgeDays).toBe(10);
    expect(report.actions).toEqual([
      { secret: NAMES.refreshToken, problem: "refresh overdue: last stored 10 days ago, more than 8 (--max-age-days)", fix: expect.stringContaining("check the scheduled refresh") },
    ]);
    expect(judgeWith(vault(), { maxAgeDays: 10 }).healthy).toBe(true);
  });

  it("reports one action for an expiring token, not a second one for its age", () => {
    const metadata = vault({ refreshToken: meta(NAMES.refreshToken, { expiresOn: daysFromNow(5), updatedOn: daysFromNow(-85), tags: CONSENT_TAGS }) });
    expect(judgeWith(metadata, { maxAgeDays: 8 }).actions.map((a) => a.fix)).toEqual(["partner-center-sam refresh"]);
  });

  it("says which current versions predate the alerts, from the last writes", () => {
    const since = daysFromNow(-20).toISOString();
    const alerts = judgeWith(vault(), { alerts: { actionGroupId: "/subscriptions/x/resourceGroups/y/providers/microsoft.insights/actionGroups/z", since } }).alerts;
    // The fixture's client secret was written 30 days ago, the token 10 days ago.
    expect(alerts).toMatchObject({ configured: true, since, covered: false, uncovered: [NAMES.clientSecret] });
    expect(judgeWith(vault(), { alerts: {} }).alerts).toMatchObject({ configured: false, covered: null });
    expect(judge(vault()).alerts.configured).toBeNull();
  });
});
