/**
 * RefreshTokenRotator tells its caller every secret value it handles, so the
 * refresh command can scrub them from anything it prints, even from an error.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RefreshTokenRotator } from "../bootstrap/src/entra/refresh-token-rotator";
import { VaultStore } from "../bootstrap/src/vault/vault-store";
import { seedRefreshToken, type SeededRefreshToken } from "./support/fixtures";
import { startStandIns, type StandIns } from "./support/stand-ins";

let s: StandIns;
let seeded: SeededRefreshToken;

beforeEach(async () => {
  s = await startStandIns();
  seeded = seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

function rotator(onSecret: (value: string) => void): RefreshTokenRotator {
  const store = new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential() });
  return new RefreshTokenRotator({ store, authorityHost: s.entra.url, onSecret });
}

describe("RefreshTokenRotator's onSecret", () => {
  it("receives the stored and rotated refresh tokens, the client secret and the access token", async () => {
    const told: string[] = [];

    const redemption = await rotator((value) => told.push(value)).redeem(s.outputs.scopes);

    const rotated = s.vault.latest(s.outputs.secretNames.refreshToken)!.value;
    expect(rotated).not.toBe(seeded.token);
    expect(told).toEqual(expect.arrayContaining([seeded.token, rotated, s.clientCertificate!.privateKeyPem, redemption.accessToken]));
  });

  it("has been told the stored refresh token and the client secret before a redemption fails", async () => {
    s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code: 700082 });
    const told: string[] = [];

    await expect(rotator((value) => told.push(value)).redeem(s.outputs.scopes)).rejects.toMatchObject({ aadsts: "700082" });

    expect(told).toEqual(expect.arrayContaining([seeded.token, s.clientCertificate!.privateKeyPem]));
  });
});
