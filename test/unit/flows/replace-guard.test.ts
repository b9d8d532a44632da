import { describe, expect, it } from "vitest";
import { allowReplacement, healthyStoredConsent, type StoredConsent } from "../../../bootstrap/src/flows/replace-guard";
import { silentProgress } from "../../../bootstrap/src/core/progress";
import type { SecretMetadata } from "../../../bootstrap/src/vault/vault-types";

const reporter = { ...silentProgress, prompt: () => undefined };
const stored: StoredConsent = { consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z", mfa: "true" };
const NOW = new Date("2026-12-01T00:00:00Z");
const meta = (over: Partial<SecretMetadata>): SecretMetadata => ({ name: "rt", enabled: true, tags: { consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z" }, ...over });

describe("allowReplacement", () => {
  it("lets the same user renew the token, whatever the case of the UPN", async () => {
    await expect(allowReplacement(stored, "Alice@Contoso.com", true, { replace: false, reporter })).resolves.toBeUndefined();
  });

  it("asks on a terminal and goes ahead on yes", async () => {
    const questions: string[] = [];
    await allowReplacement(stored, "bob@contoso.com", true, { replace: false, reporter, confirm: async (q) => (questions.push(q), true) });
    expect(questions).toEqual([expect.stringMatching(/consented by alice@contoso\.com on 2026-11-01T10:00:00\.000Z\. Replace it with bob@contoso\.com's\?.*\[y\/N\]/)]);
  });

  it("refuses with refresh_token_in_use (exit 2) on no, and without a terminal", async () => {
    for (const confirm of [async () => false, undefined]) {
      await expect(allowReplacement(stored, "bob@contoso.com", true, { replace: false, reporter, confirm })).rejects.toMatchObject({ code: "refresh_token_in_use", exitCode: 2 });
    }
  });

  it("goes ahead without asking with --replace", async () => {
    await expect(allowReplacement(stored, "bob@contoso.com", true, { replace: true, reporter, confirm: async () => { throw new Error("asked"); } })).resolves.toBeUndefined();
  });

  it("treats a token without a consentedBy tag as someone else's", async () => {
    await expect(allowReplacement({}, "bob@contoso.com", false, { replace: false, reporter })).rejects.toMatchObject({ code: "refresh_token_in_use", message: expect.stringContaining("an unknown user") });
  });
});

describe("healthyStoredConsent", () => {
  it("reads who consented a healthy token from its tags", () => {
    expect(healthyStoredConsent(meta({}), NOW)).toMatchObject({ consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z" });
  });

  it("ignores a missing, disabled or expired token: nothing to lose by replacing it", () => {
    expect(healthyStoredConsent(undefined, NOW)).toBeUndefined();
    expect(healthyStoredConsent(meta({ enabled: false }), NOW)).toBeUndefined();
    expect(healthyStoredConsent(meta({ expiresOn: new Date("2026-11-30T00:00:00Z") }), NOW)).toBeUndefined();
  });
});
