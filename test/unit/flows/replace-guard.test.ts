/** The guard against silently replacing a refresh token someone else consented (bootstrap and import-token). */
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../bootstrap/src/core/errors";
import { allowReplacement, guardReplacingAnotherUsersToken, healthyStoredConsent, replacesAnotherUser, type StoredConsent } from "../../../bootstrap/src/flows/replace-guard";
import { silentProgress } from "../../../bootstrap/src/core/progress";
import type { VaultStore } from "../../../bootstrap/src/vault/vault-store";
import type { SecretMetadata } from "../../../bootstrap/src/vault/vault-types";

const NAME = "partnercenter-refresh-token";
const NOW = new Date("2026-12-06T04:00:00Z");

/** A store whose only use here is readMetadata: what the vault lists for the refresh-token secret. */
function storeWith(metadata?: Partial<SecretMetadata>): VaultStore {
  const map = new Map<string, SecretMetadata>();
  if (metadata) map.set(NAME, { name: NAME, enabled: true, tags: {}, ...metadata });
  return { secretNames: { refreshToken: NAME }, readMetadata: () => Promise.resolve(map) } as unknown as VaultStore;
}

const healthyOf = (consentedBy?: string): Partial<SecretMetadata> => ({
  expiresOn: new Date(NOW.getTime() + 86_400_000),
  tags: { ...(consentedBy ? { consentedBy } : {}), consentedAt: "2026-11-01T10:00:00.000Z" },
});

function guard(metadata: Partial<SecretMetadata> | undefined, extra: { replace?: boolean; confirm?: (q: string) => Promise<boolean> } = {}) {
  return guardReplacingAnotherUsersToken({ store: storeWith(metadata), newUser: "new@contoso.example", replace: extra.replace ?? false, confirm: extra.confirm, retryWithReplace: "partner-center-sam import-token --outputs o.json --replace", now: NOW });
}

describe("replacesAnotherUser", () => {
  const consent = (over: Partial<StoredConsent>): StoredConsent => ({ healthy: true, consentedBy: "old@contoso.example", ...over });
  it("is true only for a healthy token of someone else (names compared without case)", () => {
    expect(replacesAnotherUser(consent({}), "new@contoso.example")).toBe(true);
    expect(replacesAnotherUser(consent({ consentedBy: undefined }), "new@contoso.example")).toBe(true);
    expect(replacesAnotherUser(consent({ consentedBy: "NEW@contoso.example" }), "new@contoso.example")).toBe(false);
    expect(replacesAnotherUser(consent({ healthy: false }), "new@contoso.example")).toBe(false);
    expect(replacesAnotherUser(undefined, "new@contoso.example")).toBe(false);
  });
});

describe("guardReplacingAnotherUsersToken", () => {
  it("refuses a healthy token of another user (exit 2), naming who and when and the command to run with --replace", async () => {
    const error = (await guard(healthyOf("old@contoso.example")).catch((e: unknown) => e)) as { code: string; exitCode: number; message: string; hint: string };
    expect(error).toMatchObject({ code: "refresh_token_in_use", exitCode: ExitCode.Usage });
    expect(error.message).toContain("old@contoso.example");
    expect(error.message).toContain("2026-11-01T10:00:00.000Z");
    expect(error.hint).toContain("`partner-center-sam import-token --outputs o.json --replace`");
  });

  it("treats a healthy token without a consentedBy tag as someone else's", async () => {
    await expect(guard(healthyOf(undefined))).rejects.toMatchObject({ code: "refresh_token_in_use", message: expect.stringContaining("unknown user") });
  });

  it("lets --replace, or a yes from the person, replace it, and returns what was stored", async () => {
    await expect(guard(healthyOf("old@contoso.example"), { replace: true })).resolves.toMatchObject({ consentedBy: "old@contoso.example", healthy: true });
    const questions: string[] = [];
    const yes = (q: string) => (questions.push(q), Promise.resolve(true));
    await expect(guard(healthyOf("old@contoso.example"), { confirm: yes })).resolves.toMatchObject({ consentedBy: "old@contoso.example" });
    expect(questions[0]).toMatch(/consented by old@contoso\.example .*Replace it with new@contoso\.example's\?/);
    await expect(guard(healthyOf("old@contoso.example"), { confirm: () => Promise.resolve(false) })).rejects.toMatchObject({ code: "refresh_token_in_use" });
  });

  it("does not ask when nothing is stored, the token is the same user's, expired or disabled", async () => {
    await expect(guard(undefined)).resolves.toBeUndefined();
    await expect(guard(healthyOf("New@Contoso.example"))).resolves.toMatchObject({ healthy: true });
    await expect(guard({ ...healthyOf("old@contoso.example"), expiresOn: new Date(NOW.getTime() - 1) })).resolves.toMatchObject({ healthy: false });
    await expect(guard({ ...healthyOf("old@contoso.example"), enabled: false })).resolves.toMatchObject({ healthy: false });
  });
});

const RETRY = "partner-center-sam bootstrap --replace";
const reporter = { ...silentProgress, prompt: () => undefined };
const stored: StoredConsent = { consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z", mfa: "true", healthy: true };
const NOW_B = new Date("2026-12-01T00:00:00Z");
const meta = (over: Partial<SecretMetadata>): SecretMetadata => ({ name: "rt", enabled: true, tags: { consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z" }, ...over });

describe("allowReplacement", () => {
  it("lets the same user renew the token, whatever the case of the UPN", async () => {
    await expect(allowReplacement(stored, "Alice@Contoso.com", true, { replace: false, reporter, retryWithReplace: RETRY })).resolves.toBeUndefined();
  });

  it("asks on a terminal and goes ahead on yes", async () => {
    const questions: string[] = [];
    await allowReplacement(stored, "bob@contoso.com", true, { replace: false, reporter, retryWithReplace: RETRY, confirm: async (q) => (questions.push(q), true) });
    expect(questions).toEqual([expect.stringMatching(/consented by alice@contoso\.com on 2026-11-01T10:00:00\.000Z\. Replace it with bob@contoso\.com's\?.*\[y\/N\]/)]);
  });

  it("refuses with refresh_token_in_use (exit 2) on no, and without a terminal", async () => {
    for (const confirm of [async () => false, undefined]) {
      await expect(allowReplacement(stored, "bob@contoso.com", true, { replace: false, reporter, confirm, retryWithReplace: RETRY })).rejects.toMatchObject({ code: "refresh_token_in_use", exitCode: 2 });
    }
  });

  it("goes ahead without asking with --replace", async () => {
    await expect(allowReplacement(stored, "bob@contoso.com", true, { replace: true, reporter, retryWithReplace: RETRY, confirm: async () => { throw new Error("asked"); } })).resolves.toBeUndefined();
  });

  it("treats a token without a consentedBy tag as someone else's", async () => {
    await expect(allowReplacement({ healthy: true }, "bob@contoso.com", false, { replace: false, reporter, retryWithReplace: RETRY })).rejects.toMatchObject({ code: "refresh_token_in_use", message: expect.stringContaining("an unknown user") });
  });
});

describe("healthyStoredConsent", () => {
  it("reads who consented a healthy token from its tags", () => {
    expect(healthyStoredConsent(meta({}), NOW_B)).toMatchObject({ consentedBy: "alice@contoso.com", consentedAt: "2026-11-01T10:00:00.000Z" });
  });

  it("ignores a missing, disabled or expired token: nothing to lose by replacing it", () => {
    expect(healthyStoredConsent(undefined, NOW_B)).toBeUndefined();
    expect(healthyStoredConsent(meta({ enabled: false }), NOW_B)).toBeUndefined();
    expect(healthyStoredConsent(meta({ expiresOn: new Date("2026-11-30T00:00:00Z") }), NOW_B)).toBeUndefined();
  });
});
