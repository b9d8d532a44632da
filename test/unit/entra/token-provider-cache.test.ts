/**
 * The provider's `cache` and `writeBack` options against the emulator: a shared
 * cache lets a second provider (another process) serve the token without a
 * request, and the rotated refresh token is written back only as `writeBack` says.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTokenProvider, type TokenProvider, type TokenProviderOptions } from "../../../bootstrap/src/entra/token-provider";
import { seedRefreshToken } from "../../support/fixtures";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;
let folder: string;
const HOUR_MS = 60 * 60 * 1000;

beforeEach(async () => {
  s = await startStandIns();
  folder = mkdtempSync(path.join(os.tmpdir(), "pcsam-provider-cache-"));
});

afterEach(async () => {
  await s.stop();
  rmSync(folder, { recursive: true, force: true });
});

function provider(options: Partial<TokenProviderOptions> = {}): TokenProvider {
  return createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url, ...options });
}

const writes = () => s.vault.writes.filter((w) => w.status === 200 && w.name === s.outputs.secretNames.refreshToken).length;

describe("createTokenProvider({ cache })", () => {
  it('serves a token another provider put in the shared cache with cache: "shared", without any request', async () => {
    seedRefreshToken(s);
    const first = await provider({ cache: "shared", cacheFolder: folder }).getAccessToken();
    const requests = s.entra.requests.length + s.vault.requests.length;

    expect(await provider({ cache: "shared", cacheFolder: folder }).getAccessToken()).toBe(first);
    expect(s.entra.requests.length + s.vault.requests.length).toBe(requests);
  });

  it('keeps tokens in memory only by default (cache: "memory"): a second provider redeems again', async () => {
    seedRefreshToken(s);
    await provider({ cacheFolder: folder }).getAccessToken();
    await provider({ cacheFolder: folder }).getAccessToken();

    expect(s.entra.tokenRequests).toHaveLength(2);
  });

  it("drops the shared entry on forceRefresh (a 401), so the next provider gets the fresh token", async () => {
    seedRefreshToken(s);
    const first = await provider({ cache: "shared", cacheFolder: folder }).getAccessToken();
    const fresh = await provider({ cache: "shared", cacheFolder: folder }).getAccessToken({ forceRefresh: true });

    expect(fresh).not.toBe(first);
    expect(await provider({ cache: "shared", cacheFolder: folder }).getAccessToken()).toBe(fresh);
    expect(s.entra.tokenRequests).toHaveLength(2);
  });

  it("refuses an unknown cache or writeBack value with a TypeError", () => {
    expect(() => provider({ cache: "disk" as never })).toThrow(/cache must be "shared" or "memory"/);
    expect(() => provider({ writeBack: "weekly" as never })).toThrow(/writeBack must be "always", "daily" or "never"/);
  });
});

describe("createTokenProvider({ writeBack })", () => {
  it.each([
    ["daily (the default)", "two days", undefined, 48 * HOUR_MS, 1],
    ["daily (the default)", "an hour", undefined, HOUR_MS, 0],
    ["always", "an hour", "always", HOUR_MS, 2],
    ["never", "two days", "never", 48 * HOUR_MS, 0],
  ] as const)("writeBack %s, with a token stored %s ago, writes as it says over two redemptions, with one read of the refresh token redemptions, one read of the refresh token", async (_label, _ago, writeBack, age, expected) => {
    const seeded = seedRefreshToken(s, { updatedOn: new Date(Date.now() - age) });
    const p = provider(writeBack ? { writeBack } : {});

    await p.getAccessToken();
    await p.getAccessToken({ scopes: ["https://graph.microsoft.com/.default"] });

    expect(writes()).toBe(expected);
    const latest = s.vault.latest(s.outputs.secretNames.refreshToken)!.value;
    expect(latest === seeded.token).toBe(expected === 0);
    // Both redemptions used the refresh token read once.
    expect(s.vault.requests.filter((r) => r.authenticated && r.method === "GET" && r.name === s.outputs.secretNames.refreshToken)).toHaveLength(1);
  });
});
