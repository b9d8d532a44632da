/**
 * How the refresh-token rotator (the core of `npm run refresh` and the token
 * provider) meets Entra ID's answers, against the stand-ins answering as real
 * Entra does: expired client secrets, Conditional Access challenges with
 * claims, sign-in frequency, a redemption without a new refresh token, and
 * refresh tokens that stay valid after use.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, SamError } from "../bootstrap/src/core/errors";
import { RefreshTokenRotator } from "../bootstrap/src/entra/refresh-token-rotator";
import { VaultStore } from "../bootstrap/src/vault/vault-store";
import { seedRefreshToken, type SeededRefreshToken } from "./support/fixtures";
import { startStandIns, type StandIns } from "./support/stand-ins";

let s: StandIns;
let seeded: SeededRefreshToken;

beforeEach(async () => {
  s = await startStandIns({ appCredential: "secret" }); // the client-secret answers below need a client secret
  seeded = seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

function rotator(): RefreshTokenRotator {
  const store = new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential() });
  return new RefreshTokenRotator({ store, authorityHost: s.entra.url });
}

const refreshTokenName = () => s.outputs.secretNames.refreshToken;
const refreshGrants = () => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token");

async function failure(promise: Promise<unknown>): Promise<SamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SamError);
  return error as SamError;
}

/** Every message and hint must be free of the values the rotator handled. */
function expectNoSecretIn(error: SamError): void {
  const text = `${error.message}\n${error.hint ?? ""}`;
  for (const secret of [seeded.token, s.clientSecret, ...s.entra.issuedSecrets()]) expect(text).not.toContain(secret);
}

describe("an expired client secret (AADSTS7000222)", () => {
  it("re-reads the vault once and redeems with the secret `pulumi up` stored there", async () => {
    const r = rotator();
    await r.redeem(s.outputs.scopes);
    const replacement = `${s.clientSecret}-new`;
    s.entra.expireClientSecret(s.clientId, replacement);
    s.vault.setSecret(s.outputs.secretNames.clientSecret!, replacement, { contentType: "text/plain" });
    const grantsBefore = refreshGrants().length;

    const redemption = await r.redeem(s.outputs.scopes);

    expect(redemption.accessToken).toBeTruthy();
    expect(refreshGrants().slice(grantsBefore).map((g) => [g.status, g.errorCode])).toEqual([
      [401, 7000222],
      [200, undefined],
    ]);
    expect(s.vault.latest(refreshTokenName())!.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });

  it("says to run `pulumi up` (exit 2) after exactly one re-read when the vault still holds the expired secret, and writes nothing", async () => {
    s.entra.expireClientSecret(s.clientId, `${s.clientSecret}-only-in-entra`);
    const versions = s.vault.versions(refreshTokenName()).length;

    const error = await failure(rotator().redeem(s.outputs.scopes));

    expect({ code: error.code, exitCode: error.exitCode, aadsts: error.aadsts }).toEqual({ code: "client_secret_expired", exitCode: ExitCode.Usage, aadsts: "7000222" });
    expect(error.message).toContain("client secret has expired");
    expect(error.hint).toContain("pulumi up");
    expect(refreshGrants().map((g) => g.errorCode)).toEqual([7000222, 7000222]);
    expect(s.vault.versions(refreshTokenName())).toHaveLength(versions);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
    expectNoSecretIn(error);
  });
});

describe("Conditional Access and MFA answers during refresh", () => {
  it.each([
    [50076, /multi-factor/],
    [50079, /register for multi-factor/],
    [53003, /Conditional Access policy blocked/],
    [70043, /sign-in frequency a Conditional Access policy allows/],
  ])("maps AADSTS%s (with Entra's claims challenge where it sends one) to consent_required, exit 3, and leaves the vault untouched", async (code, why) => {
    s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code });
    const versions = s.vault.versions(refreshTokenName()).length;

    const error = await failure(rotator().redeem(s.outputs.scopes));

    expect({ code: error.code, exitCode: error.exitCode, aadsts: error.aadsts }).toEqual({ code: "consent_required", exitCode: ExitCode.ActionNeeded, aadsts: String(code) });
    expect(error.message).toMatch(why);
    expect(error.hint).toContain("partner-center-sam bootstrap");
    expect(s.vault.versions(refreshTokenName())).toHaveLength(versions);
    expectNoSecretIn(error);
  });

  it("reports a temporarily unavailable Entra ID as a failure to retry later (exit 1), not as a dead token", async () => {
    s.entra.failNextToken({ status: 503, error: "temporarily_unavailable", code: 50196, description: "The server terminated an operation because it encountered a loop." });

    const error = await failure(rotator().redeem(s.outputs.scopes));

    expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code: "entra_unavailable", exitCode: ExitCode.Failure });
    expect(error.hint).toContain("the stored refresh token was not replaced");
    expect(s.vault.latest(refreshTokenName())!.value).toBe(seeded.token);
  });
});

describe("refresh tokens as Entra ID treats them", () => {
  it("says the stored token was used and is still valid until its expiry when a redemption returns no new refresh token", async () => {
    s.entra.omitNextRefreshToken();
    const stored = s.vault.latest(refreshTokenName())!;

    const error = await failure(rotator().redeem(s.outputs.scopes));

    expect(error.code).toBe("no_refresh_token");
    expect(error.message).toContain(`the stored refresh token was used and is still valid until ${stored.expiresOn!.toISOString()}`);
    expect(error.message).not.toMatch(/was kept/);
    expect(s.vault.versions(refreshTokenName())).toHaveLength(1);
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
    expect(await rotator().redeem(s.outputs.scopes)).toMatchObject({ scopes: expect.any(Array) });
    expectNoSecretIn(error);
  });

  it("lets two redemptions of the same stored token both succeed, as Entra keeps a used refresh token valid", async () => {
    const [a, b] = await Promise.all([rotator().redeem(s.outputs.scopes), rotator().redeem(s.outputs.scopes)]);

    expect(a.accessToken).toBeTruthy();
    expect(b.accessToken).toBeTruthy();
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(2);
    expect(s.entra.isRefreshTokenValid(s.vault.latest(refreshTokenName())!.value)).toBe(true);
  });

  it("keeps working in the stand-in's strict single-use mode, because each redemption reads the newest token from the vault", async () => {
    s.entra.singleUseRefreshTokens = true;
    await rotator().redeem(s.outputs.scopes);
    const newest = s.vault.latest(refreshTokenName())!.value;
    expect(newest).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));

    // The rotator reads the newest token from the vault, so it keeps working.
    await rotator().redeem(s.outputs.scopes);
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
    expect(s.entra.refreshTokenUses(newest)).toBe(1);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(false);
  });
});
