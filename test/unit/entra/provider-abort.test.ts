/**
 * `signal` on getAccessToken / getToken / fetch: a caller that gives up is
 * rejected at once; callers sharing its redemption are not; the redemption stops
 * only when nobody waits for it; and a rotated refresh token is always stored.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SamError } from "../../../bootstrap/src/core/errors";
import { createTokenProvider, type TokenProvider, type TokenProviderOptions } from "../../../bootstrap/src/entra/token-provider";
import { seedRefreshToken } from "../../support/fixtures";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;

beforeAll(async () => {
  // The provider loads MSAL and the Key Vault client on its first redemption; load them before anything is timed.
  await Promise.all([import("../../../bootstrap/src/entra/refresh-token-rotator.js"), import("../../../bootstrap/src/vault/vault-store.js")]);
});

beforeEach(async () => {
  s = await startStandIns();
  seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

function provider(options: Partial<TokenProviderOptions> = {}): TokenProvider {
  return createTokenProvider({ writeBack: "always", keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url, ...options });
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How long a promise takes to settle, and how. */
async function settle<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

const storedRefreshToken = () => s.vault.latest(s.outputs.secretNames.refreshToken)?.value;
const newestRefreshToken = () => s.entra.newestRefreshToken(s.clientId, s.users.admin.username);

describe("getAccessToken with a signal", () => {
  it("rejects the caller that aborts at once with `cancelled`, while a caller sharing the redemption still gets the token", async () => {
    const p = provider();
    const release = s.entra.holdTokenResponses();
    const giveUp = new AbortController();
    const quitter = settle(p.getAccessToken({ signal: giveUp.signal }));
    const stayer = p.getAccessToken();
    await until(() => s.entra.heldTokenRequests === 1, "the token request is held");

    giveUp.abort();
    const quit = await quitter;

    expect(quit.error).toBeInstanceOf(SamError);
    expect(quit.error).toMatchObject({ code: "cancelled" });
    expect(quit.ms).toBeLessThan(1000);
    release();
    const token = await stayer;
    expect(token).toMatch(/^ey/);
    expect(s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token")).toHaveLength(1);
    expect(storedRefreshToken()).toBe(newestRefreshToken());
  });

  it("keeps the redemption going for a caller with a signal of its own when another caller gives up", async () => {
    const p = provider();
    const release = s.entra.holdTokenResponses();
    const first = new AbortController();
    const second = new AbortController();
    const quitter = settle(p.getAccessToken({ signal: first.signal }));
    const stayer = p.getAccessToken({ signal: second.signal });
    await until(() => s.entra.heldTokenRequests === 1, "the token request is held");

    first.abort();
    expect((await quitter).error).toMatchObject({ code: "cancelled" });
    release();

    await expect(stayer).resolves.toMatch(/^ey/);
    expect(storedRefreshToken()).toBe(newestRefreshToken());
  });

  it("stops the redemption when every caller gave up: nothing is written, and the next call redeems afresh", async () => {
    const p = provider();
    const release = s.entra.holdTokenResponses();
    const giveUp = new AbortController();
    const quitter = settle(p.getAccessToken({ signal: giveUp.signal }));
    await until(() => s.entra.heldTokenRequests === 1, "the token request is held");

    giveUp.abort();
    expect((await quitter).error).toMatchObject({ code: "cancelled" });
    release();

    await expect(p.getAccessToken()).resolves.toMatch(/^ey/);
    // The abandoned redemption never read Entra ID's answer, so only the second one wrote.
    expect(s.vault.writes.filter((w) => w.name === s.outputs.secretNames.refreshToken)).toHaveLength(1);
    expect(storedRefreshToken()).toBe(newestRefreshToken());
  });

  it("abandons a vault read that never answers, well before the request timeout, without asking Entra ID", async () => {
    s.vault.failNext(1, "hang", { method: "GET", name: s.outputs.secretNames.refreshToken });
    const p = provider({ requestTimeoutMs: 30_000 });
    const giveUp = new AbortController();
    const pending = settle(p.getToken({ signal: giveUp.signal }));
    await until(() => s.vault.requests.some((r) => r.method === "GET" && r.name === s.outputs.secretNames.refreshToken), "the vault read arrived");

    giveUp.abort();
    const result = await pending;

    expect(result.error).toMatchObject({ code: "cancelled" });
    expect(result.ms).toBeLessThan(1000);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("still writes the rotated refresh token back when the caller gives up after Entra ID answered", async () => {
    const refreshToken = s.outputs.secretNames.refreshToken;
    // The first write-back hangs until its 1 s request timeout; the retry stores it.
    s.vault.failNext(1, "hang", { method: "PUT", name: refreshToken });
    const p = provider({ requestTimeoutMs: 1000 });
    const giveUp = new AbortController();
    const pending = settle(p.getAccessToken({ signal: giveUp.signal }));
    await until(() => s.vault.requests.some((r) => r.method === "PUT" && r.name === refreshToken), "the write-back started");

    giveUp.abort();
    expect((await pending).error).toMatchObject({ code: "cancelled" });

    await until(() => storedRefreshToken() === newestRefreshToken(), "the rotated refresh token is stored");
    expect(s.entra.isRefreshTokenValid(storedRefreshToken()!)).toBe(true);
  });

  it("rejects at once, before any request, when the signal has already aborted", async () => {
    const p = provider();
    await expect(p.getAccessToken({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "cancelled" });
    expect(s.vault.requests).toEqual([]);
    await expect(p.getAccessToken({ signal: "soon" as unknown as AbortSignal })).rejects.toThrow(TypeError);
  });
});

describe("provider.fetch with a signal", () => {
  it("rejects with `cancelled` when the caller gives up while the token is being redeemed", async () => {
    const p = provider();
    const release = s.entra.holdTokenResponses();
    const giveUp = new AbortController();
    const pending = settle(p.fetch("/v1/customers", {}, { signal: giveUp.signal }));
    await until(() => s.entra.heldTokenRequests === 1, "the token request is held");

    giveUp.abort();
    const result = await pending;
    release();

    expect(result.error).toMatchObject({ code: "cancelled" });
    expect(s.partnerCenter.calls).toEqual([]);
  });
});
