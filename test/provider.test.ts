/**
 * The token provider as automation code uses it: imported from the package
 * ("partner-center-sam", the built JavaScript its `exports` name) and run
 * in-process against the stand-ins. Counts requests at the stand-ins to check
 * caching, expiry and single-flight behaviour.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createTokenProvider, ConsentRequiredError, UsageError, VaultError, type TokenProvider, type TokenProviderOptions } from "partner-center-sam";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { refreshTokenSnapshot, seedRefreshToken, type SeededRefreshToken } from "./support/fixtures";
import { decodeJwt } from "../emulator/jwt";
import { startStandIns, type StandIns } from "./support/stand-ins";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

let s: StandIns;
let seeded: SeededRefreshToken;

beforeEach(async () => {
  s = await startStandIns({ appCredential: "secret" }); // the rotation tests below are about the client secret
  seeded = seedRefreshToken(s);
});

afterEach(async () => {
  vi.useRealTimers();
  await s.stop();
});

/** A provider that writes back after every redemption (`writeBack: "always"`; the daily default is tested in token-provider-cache.test.ts). */
function provider(options: Partial<TokenProviderOptions> = {}): TokenProvider {
  return createTokenProvider({
    writeBack: "always",
    keyVaultUri: s.vault.url,
    credential: s.entra.credential(),
    authorityHost: s.entra.url,
    partnerCenterEndpoint: s.partnerCenter.url,
    ...options,
  });
}

/** Refresh-token redemptions Entra ID has answered so far. */
const redemptions = () => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token");
const refreshTokenName = () => s.outputs.secretNames.refreshToken;
const audienceOf = (token: string) => decodeJwt(token).payload.aud;

describe("the partner-center-sam package", () => {
  it("exports the provider and its typed errors to TypeScript and vitest through the package's own name", () => {
    expect(typeof createTokenProvider).toBe("function");
    expect(new ConsentRequiredError("x")).toBeInstanceOf(Error);
    expect(require.resolve("partner-center-sam")).toMatch(/bootstrap[\\/]dist[\\/]index\.js$/);
  });

  it.each([
    ["require", `const { createTokenProvider } = require("partner-center-sam");`, []],
    ["import", `import { createTokenProvider } from "partner-center-sam";`, ["--input-type=module"]],
  ])("works from plain Node with %s, using DefaultAzureCredential", async (_kind, importLine, flags) => {
    const script = `${importLine}
const provider = createTokenProvider({ keyVaultUri: process.env.KEY_VAULT_URI, partnerCenterEndpoint: process.env.PC_ENDPOINT });
provider.getAccessToken().then((token) => {
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
  process.stdout.write(JSON.stringify({ aud: claims.aud, upn: claims.upn }));
});`;
    const env = s.childEnv({ KEY_VAULT_URI: s.vault.url, PC_ENDPOINT: s.partnerCenter.url, AZURE_AUTHORITY_HOST: s.entra.url });

    const { stdout } = await promisify(execFile)(process.execPath, [...flags, "-e", script], { env, cwd: process.cwd() });

    expect(JSON.parse(stdout)).toEqual({ aud: s.partnerCenter.resource, upn: s.users.admin.username });
    // The default daily write-back: the refresh token was stored just now, so nothing is written.
    expect(s.vault.writeCount).toBe(0);
  });
});

describe("getAccessToken", () => {
  it("resolves to a Partner Center access token for the consenting user", async () => {
    const token = await provider().getAccessToken();

    const claims = s.entra.verifyAccessToken(token, { audience: s.partnerCenter.resource, tenantId: s.tenantId });
    expect(claims).toMatchObject({ aud: s.partnerCenter.resource, upn: s.users.admin.username, scp: "user_impersonation", amr: ["pwd", "mfa"] });
  });

  it("writes the rotated refresh token back with one vault write per redemption, redeeming the stored token once", async () => {
    await provider().getAccessToken();

    expect(redemptions()).toHaveLength(1);
    expect(s.vault.writes).toEqual([expect.objectContaining({ method: "PUT", name: refreshTokenName(), status: 200 })]);
    const latest = s.vault.latest(refreshTokenName())!;
    expect(latest.value).not.toBe(seeded.token);
    expect(s.entra.isRefreshTokenValid(latest.value)).toBe(true);
    expect(latest.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
    expect(s.entra.refreshTokenUses(seeded.token)).toBe(1);
    expect(latest.tags).toMatchObject({ consentedAt: seeded.tags.consentedAt, consentedBy: seeded.tags.consentedBy, mfa: "true" });
  });

  it("returns the cached token on a warm call without asking Entra ID or writing to the vault", async () => {
    const p = provider();
    const first = await p.getAccessToken();

    const second = await p.getAccessToken();
    const third = await p.getAccessToken([...p.defaultScopes]);

    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(redemptions()).toHaveLength(1);
    expect(s.vault.writeCount).toBe(1);
  });

  it("gets a separate token for Microsoft Graph with its own redemption, and keeps the Partner Center token cached", async () => {
    const p = provider();
    const partnerCenter = await p.getAccessToken();

    const graph = await p.getAccessToken([GRAPH_SCOPE]);

    expect(audienceOf(graph)).toBe("https://graph.microsoft.com");
    expect(redemptions().map((r) => r.scope)).toEqual([expect.stringContaining(p.defaultScopes[0]), expect.stringContaining(GRAPH_SCOPE)]);
    expect(s.vault.writeCount).toBe(2);
    expect(await p.getAccessToken()).toBe(partnerCenter);
    expect(await p.getAccessToken([GRAPH_SCOPE])).toBe(graph);
    expect(redemptions()).toHaveLength(2);
  });

  it("runs redemptions for different scopes one after another, each with the token the previous one stored", async () => {
    const p = provider();

    const [partnerCenter, graph] = await Promise.all([p.getAccessToken(), p.getAccessToken([GRAPH_SCOPE])]);

    expect(audienceOf(partnerCenter)).toBe(s.partnerCenter.resource);
    expect(audienceOf(graph)).toBe("https://graph.microsoft.com");
    expect(redemptions().map((r) => r.status)).toEqual([200, 200]);
    expect(s.vault.writeCount).toBe(2);
    expect(s.entra.isRefreshTokenValid(s.vault.latest(refreshTokenName())!.value)).toBe(true);
  });

  describe("caching until 5 minutes before expiry", () => {
    it("redeems on every call when tokens live less than the 5-minute margin", async () => {
      s.entra.accessTokenLifetimeSeconds = 240;
      const p = provider();

      const first = await p.getAccessToken();
      const second = await p.getAccessToken();

      expect(second).not.toBe(first);
      expect(redemptions()).toHaveLength(2);
      expect(s.vault.writeCount).toBe(2);
    });

    it("reuses a token until 5 minutes before it expires, then redeems again", async () => {
      vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
      s.entra.accessTokenLifetimeSeconds = 400;
      const p = provider();
      const first = await p.getAccessToken();

      vi.setSystemTime(Date.now() + 60_000);
      expect(await p.getAccessToken()).toBe(first);
      expect(redemptions()).toHaveLength(1);

      vi.setSystemTime(Date.now() + 60_000);
      const renewed = await p.getAccessToken();
      expect(renewed).not.toBe(first);
      expect(redemptions()).toHaveLength(2);
    });

    it("honours expiryMarginMs: a margin longer than the token's life means every call redeems", async () => {
      s.entra.accessTokenLifetimeSeconds = 3600;
      const p = provider({ expiryMarginMs: 2 * 3600 * 1000 });

      await p.getAccessToken();
      await p.getAccessToken();

      expect(redemptions()).toHaveLength(2);
    });

    it("redeems again after clearCache()", async () => {
      const p = provider();
      await p.getAccessToken();

      p.clearCache();
      await p.getAccessToken();

      expect(redemptions()).toHaveLength(2);
    });
  });

  it("reads and writes the secrets named in secretNames", async () => {
    const custom = await startStandIns({
      appCredential: "secret",
      secretNames: { clientId: "pc-app-id", clientSecret: "pc-app-secret", tenantId: "pc-tenant", refreshToken: "pc-user-token" },
    });
    try {
      seedRefreshToken(custom);
      const p = createTokenProvider({
        writeBack: "always",
        keyVaultUri: custom.vault.url,
        secretNames: custom.outputs.secretNames,
        credential: custom.entra.credential(),
        authorityHost: custom.entra.url,
        partnerCenterEndpoint: custom.partnerCenter.url,
      });

      expect(audienceOf(await p.getAccessToken())).toBe(custom.partnerCenter.resource);
      expect(custom.vault.writes).toEqual([expect.objectContaining({ name: "pc-user-token", status: 200 })]);
    } finally {
      await custom.stop();
    }
  });

  it("shares one redemption among 100 concurrent calls on a cold provider: one token request, one vault write", async () => {
    const p = provider();

    const tokens = await Promise.all(Array.from({ length: 100 }, () => p.getAccessToken()));

    expect(new Set(tokens).size).toBe(1);
    expect(s.entra.tokenRequests).toHaveLength(1);
    expect(s.vault.writes).toHaveLength(1);
    expect(s.vault.writeCount).toBe(1);
  });

  describe("when the stored refresh token needs a new consent", () => {
    it("rejects with ConsentRequiredError carrying the AADSTS code and leaves the vault unchanged", async () => {
      s.entra.invalidateRefreshTokens({ code: 700082 });
      const before = refreshTokenSnapshot(s);

      const error = await provider().getAccessToken().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConsentRequiredError);
      expect(error).toMatchObject({ aadsts: "700082", code: "consent_required", hint: expect.stringContaining("partner-center-sam bootstrap") });
      expect(refreshTokenSnapshot(s)).toEqual(before);
    });

    it("rejects every concurrent caller and tries again on the next call, so a new bootstrap is picked up", async () => {
      s.entra.invalidateRefreshTokens({ code: 50173 });
      const p = provider();

      const results = await Promise.allSettled(Array.from({ length: 5 }, () => p.getAccessToken()));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill("rejected"));
      expect(redemptions()).toHaveLength(1);

      seedRefreshToken(s);
      const token = await p.getAccessToken();

      expect(audienceOf(token)).toBe(s.partnerCenter.resource);
      expect(redemptions()).toHaveLength(2);
    });
  });

  it("tries again after a transient Entra ID failure instead of keeping the failed redemption", async () => {
    s.entra.failNextToken({ status: 400, error: "invalid_request", code: 90014, description: "The request body must contain the following parameter: 'grant_type'." });
    const p = provider();

    await expect(p.getAccessToken()).rejects.toThrow(/AADSTS90014/);
    const token = await p.getAccessToken();

    expect(audienceOf(token)).toBe(s.partnerCenter.resource);
    expect(s.vault.writeCount).toBe(1);
  });

  it("recovers from a rotated client secret by reading the vault's credentials again once", async () => {
    const p = provider();
    await p.getAccessToken();
    const secretReads = () => s.vault.requests.filter((r) => r.method === "GET" && r.name === s.outputs.secretNames.clientSecret && r.status === 200).length;
    expect(secretReads()).toBe(1);

    const rotated = `${s.clientSecret}-rotated`;
    s.entra.setClientSecret(s.clientId, rotated);
    s.vault.setSecret(s.outputs.secretNames.clientSecret!, rotated, { contentType: "text/plain" });
    const token = await p.getAccessToken([GRAPH_SCOPE]);

    expect(audienceOf(token)).toBe("https://graph.microsoft.com");
    expect(redemptions().map((r) => r.errorCode ?? r.status)).toEqual([200, 7000215, 200]);
    expect(secretReads()).toBe(2);
    expect(s.vault.writeCount).toBe(2);
  });

  it("says to run `pulumi up` when the app's secret was rotated but the vault still holds the old one", async () => {
    s.entra.setClientSecret(s.clientId, `${s.clientSecret}-rotated`);
    const before = refreshTokenSnapshot(s);

    const error = await provider().getAccessToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: "invalid_client_secret", aadsts: "7000215", hint: expect.stringContaining("pulumi up") });
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("rejects with VaultError naming the role when the vault still refuses access after accessWaitMs", async () => {
    s.vault.failNext(1, 403);
    const before = refreshTokenSnapshot(s);

    const error = await provider({ accessWaitMs: 0 }).getAccessToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: "vault_forbidden", hint: expect.stringContaining("Key Vault Secrets") });
    expect(redemptions()).toHaveLength(0);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("keeps retrying a vault 403 within accessWaitMs, as while a new role assignment propagates", async () => {
    s.vault.failNext(1, 403);

    const token = await provider({ accessWaitMs: 10_000 }).getAccessToken();

    expect(audienceOf(token)).toBe(s.partnerCenter.resource);
    expect(s.vault.writeCount).toBe(1);
  });
});

describe("the provider when Key Vault misbehaves", () => {
  it("keeps serving the access token when the rotated refresh token cannot be written back, says so through onStoreFailure, and writes on the next redemption", async () => {
    s.vault.failNext(1, 403, { method: "PUT" });
    const before = refreshTokenSnapshot(s);
    const failures: Error[] = [];
    const p = provider({ accessWaitMs: 0, onStoreFailure: (error) => failures.push(error) });

    const token = await p.getAccessToken();

    expect(audienceOf(token)).toBe(s.partnerCenter.resource);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(VaultError);
    expect(failures[0]).toMatchObject({ code: "refresh_token_not_stored" });
    expect(failures[0]!.message).toContain("WAS redeemed");
    expect(failures[0]!.message).toContain("denied write access");
    expect(failures[0]!.message).toContain("remains valid until its expiry");
    expect(refreshTokenSnapshot(s)).toEqual(before);
    expect(s.entra.isRefreshTokenValid(seeded.token)).toBe(true);
    expect(await p.getAccessToken()).toBe(token);

    p.clearCache();
    await p.getAccessToken();

    expect(failures).toHaveLength(1);
    expect(s.vault.latest(refreshTokenName())?.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });

  it("rejects at once with vault_firewall, whatever accessWaitMs allows, when the vault firewall refuses this machine", async () => {
    s.vault.setFirewall("203.0.113.77");

    const error = await provider({ accessWaitMs: 600_000 }).getAccessToken().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: "vault_firewall", hint: expect.stringContaining("allowedIpRanges") });
    expect((error as Error).message).toContain("203.0.113.77");
    expect(s.vault.requests.filter((r) => r.authenticated)).toHaveLength(1);
    expect(redemptions()).toHaveLength(0);
  });

  it("retries a vault that throttles without Retry-After", async () => {
    s.vault.failNext(1, 429);

    const token = await provider({ accessWaitMs: 0 }).getAccessToken();

    expect(audienceOf(token)).toBe(s.partnerCenter.resource);
    expect(s.vault.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });
});
