/**
 * The shared access-token cache on its own: where it lives, what it stores, and
 * every bad file or folder it meets — each detected, never read, the cache
 * bypassed or rebuilt with one warning — and two processes filling it at once.
 */
import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultCacheFolder, entryFileName, SharedTokenCache, sharedCacheDisabled, type TokenCacheKey } from "../../../bootstrap/src/entra/token-cache";

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-token-cache-"));
  folders.push(dir);
  return dir;
}

const KEY: TokenCacheKey = { authorityHost: "https://login.microsoftonline.com", keyVaultUri: "https://kv-contoso.vault.azure.net/", tenant: "", scopes: ["https://api.partnercenter.microsoft.com/user_impersonation"] };
const inAnHour = () => new Date(Date.now() + 60 * 60 * 1000);
const TOKEN = { accessToken: "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.sig", expiresOn: inAnHour(), tenantId: "7d3f5c1e-0000-4000-8000-000000000001", scopes: [...KEY.scopes] };
const isRoot = process.getuid?.() === 0;

function cacheIn(folder: string, warnings: string[] = []): SharedTokenCache {
  return new SharedTokenCache({ folder, warn: (message) => warnings.push(message) });
}

describe("the cache folder", () => {
  it("is $XDG_CACHE_HOME/partner-center-sam, or ~/.cache/… when XDG_CACHE_HOME is unset or relative", () => {
    expect(defaultCacheFolder({ XDG_CACHE_HOME: "/var/cache/me" }, "linux", "/home/me")).toBe("/var/cache/me/partner-center-sam");
    expect(defaultCacheFolder({}, "linux", "/home/me")).toBe("/home/me/.cache/partner-center-sam");
    expect(defaultCacheFolder({ XDG_CACHE_HOME: "relative/cache" }, "linux", "/home/me")).toBe("/home/me/.cache/partner-center-sam");
  });

  it("is ~/Library/Caches/partner-center-sam on macOS and %LOCALAPPDATA%\\partner-center-sam on Windows", () => {
    expect(defaultCacheFolder({ XDG_CACHE_HOME: "/x" }, "darwin", "/Users/me")).toBe("/Users/me/Library/Caches/partner-center-sam");
    expect(defaultCacheFolder({ LOCALAPPDATA: "C:\\Users\\me\\AppData\\Local" }, "win32", "C:\\Users\\me")).toBe("C:\\Users\\me\\AppData\\Local\\partner-center-sam");
  });

  it("is turned off by PARTNER_CENTER_SAM_NO_CACHE=1, true or yes, and not by 0 or an empty value", () => {
    expect(["1", "true", "YES"].map((v) => sharedCacheDisabled({ PARTNER_CENTER_SAM_NO_CACHE: v }))).toEqual([true, true, true]);
    expect(["0", "", "no"].map((v) => sharedCacheDisabled({ PARTNER_CENTER_SAM_NO_CACHE: v }))).toEqual([false, false, false]);
    expect(sharedCacheDisabled({})).toBe(false);
  });
});

describe("SharedTokenCache", () => {
  it("serves what it stored to another instance (another process), from a 0600 file in a 0700 folder named by a hash", () => {
    const folder = path.join(scratch(), "nested", "partner-center-sam");
    cacheIn(folder).set(KEY, TOKEN);

    expect(cacheIn(folder).get(KEY)).toEqual(TOKEN);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const [name] = readdirSync(folder);
    expect(name).toBe(entryFileName(KEY));
    expect(name).not.toMatch(/kv-contoso/);
    expect(statSync(path.join(folder, name!)).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(path.join(folder, name!), "utf8"))).sort()).toEqual(["accessToken", "expiresOn", "key", "scopes", "tenantId", "version"]);
  });

  it("keys by vault, tenant and scopes (in any order), and does not serve one key's token for another", () => {
    const folder = scratch();
    cacheIn(folder).set({ ...KEY, scopes: ["b", "a"] }, TOKEN);
    expect(cacheIn(folder).get({ ...KEY, scopes: ["a", "b"] })?.accessToken).toBe(TOKEN.accessToken);
    expect(cacheIn(folder).get({ ...KEY, scopes: ["a", "b"], tenant: "contoso.onmicrosoft.com" })).toBeUndefined();
    expect(cacheIn(folder).get({ ...KEY, scopes: ["a", "b"], keyVaultUri: "https://other.vault.azure.net/" })).toBeUndefined();
  });

  it("stops serving a token five minutes before it expires, and does not store one that close to expiry", () => {
    const folder = scratch();
    let now = Date.now();
    const cache = new SharedTokenCache({ folder, now: () => now, warn: () => undefined });
    cache.set(KEY, { ...TOKEN, expiresOn: new Date(now + 10 * 60 * 1000) });
    expect(cache.get(KEY)).toBeDefined();
    now += 5 * 60 * 1000 + 1;
    expect(cache.get(KEY)).toBeUndefined();
    cache.set({ ...KEY, tenant: "t" }, { ...TOKEN, expiresOn: new Date(now + 4 * 60 * 1000) });
    expect(existsSync(path.join(folder, entryFileName({ ...KEY, tenant: "t" })))).toBe(false);
  });

  it.each([
    ["corrupt", "not json at all"],
    ["truncated", '{"version":1,"key":"[\\"https://login'],
    ["of another format", JSON.stringify({ version: 99, accessToken: "x" })],
  ])("drops a %s entry with one warning, serves nothing, and rebuilds it on the next write", (_what, text) => {
    const folder = scratch();
    cacheIn(folder).set(KEY, TOKEN);
    const file = path.join(folder, entryFileName(KEY));
    writeFileSync(file, text);
    const warnings: string[] = [];
    const cache = cacheIn(folder, warnings);

    expect(cache.get(KEY)).toBeUndefined();
    expect(warnings).toEqual([`The token cache file ${file} is corrupt or truncated; it was removed and the token is fetched again.`]);
    expect(existsSync(file)).toBe(false);
    cache.set(KEY, TOKEN);
    expect(cacheIn(folder).get(KEY)?.accessToken).toBe(TOKEN.accessToken);
  });

  it("drops an entry whose key differs from the one asked for (a hash collision or a copied file)", () => {
    const folder = scratch();
    const other = { ...KEY, tenant: "other" };
    cacheIn(folder).set(other, TOKEN);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, entryFileName(KEY)), readFileSync(path.join(folder, entryFileName(other))), { mode: 0o600 });
    const warnings: string[] = [];

    expect(cacheIn(folder, warnings).get(KEY)).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it("never reads a file other users can read: it warns, removes it and serves nothing", () => {
    const folder = scratch();
    cacheIn(folder).set(KEY, TOKEN);
    const file = path.join(folder, entryFileName(KEY));
    chmodSync(file, 0o640);
    const warnings: string[] = [];

    expect(cacheIn(folder, warnings).get(KEY)).toBeUndefined();
    expect(warnings).toEqual([`The token cache file ${file} is readable by other users (mode 640); it was not read and was removed.`]);
    expect(existsSync(file)).toBe(false);
  });

  it("never follows a symbolic link: the link is removed, its target left as it was", () => {
    const folder = scratch();
    const elsewhere = path.join(scratch(), "planted.json");
    cacheIn(path.dirname(elsewhere)).set({ ...KEY, tenant: "x" }, TOKEN);
    writeFileSync(elsewhere, readFileSync(path.join(path.dirname(elsewhere), entryFileName({ ...KEY, tenant: "x" }))), { mode: 0o600 });
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const link = path.join(folder, entryFileName(KEY));
    symlinkSync(elsewhere, link);
    const warnings: string[] = [];

    expect(cacheIn(folder, warnings).get(KEY)).toBeUndefined();
    expect(warnings).toEqual([`The token cache file ${link} is a symbolic link; it was removed, not followed.`]);
    expect(existsSync(link)).toBe(false);
    expect(existsSync(elsewhere)).toBe(true);
  });

  it("replaces a symbolic link planted under an entry's name on write, never writing through it", () => {
    const folder = scratch();
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const target = path.join(scratch(), "target.txt");
    writeFileSync(target, "untouched");
    symlinkSync(target, path.join(folder, entryFileName(KEY)));

    cacheIn(folder).set(KEY, TOKEN);

    expect(readFileSync(target, "utf8")).toBe("untouched");
    expect(lstatSync(path.join(folder, entryFileName(KEY))).isSymbolicLink()).toBe(false);
  });

  it.each([
    ["open to other users", (folder: string) => chmodSync(folder, 0o755), /is open to other users \(mode 755; it must be 700/],
    ["a symbolic link", (folder: string) => {
      const real = path.join(path.dirname(folder), "real");
      mkdirSync(real, { mode: 0o700 });
      rmSync(folder, { recursive: true });
      symlinkSync(real, folder);
    }, /is a symbolic link/],
    ["a file", (folder: string) => {
      rmSync(folder, { recursive: true });
      writeFileSync(folder, "");
    }, /is not a folder/],
  ] as const)("bypasses a cache folder that is %s, with one warning, and neither reads nor writes there", (_what, spoil, warning) => {
    const folder = path.join(scratch(), "partner-center-sam");
    cacheIn(folder).set(KEY, TOKEN);
    spoil(folder);
    const warnings: string[] = [];
    const cache = cacheIn(folder, warnings);

    expect(cache.get(KEY)).toBeUndefined();
    cache.set(KEY, TOKEN);
    cache.set({ ...KEY, tenant: "t" }, TOKEN);
    expect(warnings).toEqual([expect.stringMatching(warning)]);
  });

  it("goes on without a cache when its folder cannot be created, warning once", () => {
    const parent = scratch();
    writeFileSync(path.join(parent, "file"), "");
    const warnings: string[] = [];
    const cache = cacheIn(path.join(parent, "file", "partner-center-sam"), warnings);

    expect(cache.get(KEY)).toBeUndefined();
    expect(() => cache.set(KEY, TOKEN)).not.toThrow();
    cache.set(KEY, TOKEN);
    expect(warnings).toEqual([expect.stringMatching(/cannot be created \(ENOTDIR\); the command goes on without the cache\.$/)]);
  });

  it.skipIf(!isRoot)("never reads a file that belongs to another user", () => {
    const folder = scratch();
    cacheIn(folder).set(KEY, TOKEN);
    const file = path.join(folder, entryFileName(KEY));
    chownSync(file, 4242, 4242);
    const warnings: string[] = [];

    expect(cacheIn(folder, warnings).get(KEY)).toBeUndefined();
    expect(warnings).toEqual([`The token cache file ${file} belongs to another user (uid 4242); it was not read.`]);
  });

  it.skipIf(!isRoot)("bypasses a cache folder that belongs to another user", () => {
    const folder = path.join(scratch(), "partner-center-sam");
    cacheIn(folder).set(KEY, TOKEN);
    chownSync(folder, 4242, 4242);
    const warnings: string[] = [];

    expect(cacheIn(folder, warnings).get(KEY)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/belongs to another user \(uid 4242\); the command goes on without the cache/)]);
  });

  it("clear removes every entry and left-over temporary file, and says how many tokens it removed", () => {
    const folder = scratch();
    const cache = cacheIn(folder);
    cache.set(KEY, TOKEN);
    cache.set({ ...KEY, tenant: "t" }, TOKEN);
    writeFileSync(path.join(folder, `${entryFileName(KEY)}.123.abc.tmp`), "");
    writeFileSync(path.join(folder, "notes.txt"), "mine");

    expect(cache.clear()).toBe(2);
    expect(readdirSync(folder)).toEqual(["notes.txt"]);
    expect(cacheIn(path.join(folder, "absent")).clear()).toBe(0);
  });

  it("clear refuses a folder that is a symbolic link", () => {
    const real = scratch();
    const link = path.join(scratch(), "link");
    symlinkSync(real, link);
    expect(() => cacheIn(link).clear()).toThrow(/is not a folder \(it is a symbolic link\)/);
  });
});

describe("two processes filling the cache at once", () => {
  it("leave one whole entry, readable and valid, and no temporary files", async () => {
    const folder = scratch();
    const modulePath = path.join(process.cwd(), "bootstrap", "dist", "entra", "token-cache.js");
    const writer = (label: string) =>
      new Promise<number | null>((resolve) => {
        const script = `
          const { SharedTokenCache } = require(${JSON.stringify(modulePath)});
          const cache = new SharedTokenCache({ folder: ${JSON.stringify(folder)}, warn: (m) => { console.error(m); process.exitCode = 9; } });
          const key = ${JSON.stringify(KEY)};
          for (let i = 0; i < 300; i++) {
            cache.set(key, { accessToken: "${label}-" + i + "-" + "x".repeat(2000), expiresOn: new Date(Date.now() + 3600e3), tenantId: "t", scopes: key.scopes });
            const seen = cache.get(key);
            if (!seen || !/^(one|two)-\\d+-x{2000}$/.test(seen.accessToken)) { console.error("torn read"); process.exit(8); }
          }`;
        spawn(process.execPath, ["-e", script], { stdio: "inherit" }).on("close", resolve);
      });

    expect(await Promise.all([writer("one"), writer("two")])).toEqual([0, 0]);

    expect(readdirSync(folder)).toEqual([entryFileName(KEY)]);
    expect(cacheIn(folder).get(KEY)?.accessToken).toMatch(/^(one|two)-299-x{2000}$/);
  });
});
