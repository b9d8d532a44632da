/**
 * The shared access-token cache and the daily write-back, end to end: the built
 * `token` and `call` commands as child processes against the emulator, with the
 * requests counted where the emulator sees them.
 */
import { DEFAULT_SECRET_NAMES } from "../../bootstrap/src/core/contract";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { seedRefreshToken, vaultUriArgs } from "../support/fixtures";
import { freshStandInsPerTest } from "../support/cli-expect";
import { runCli, type CliName, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
freshStandInsPerTest((started) => (s = started));

const HOUR_MS = 60 * 60 * 1000;

/** Child environment with the shared cache on, in this stand-ins' scratch cache folder. */
function cacheOn(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return s.childEnv({ PARTNER_CENTER_SAM_NO_CACHE: undefined, ...extra });
}

function cacheFolder(): string {
  return path.join(cacheOn().XDG_CACHE_HOME!, "partner-center-sam");
}

/** The token cache's files (the folder also holds compiled/, the Azure SDKs' compiled code). */
function tokenFiles(): string[] {
  return existsSync(cacheFolder()) ? readdirSync(cacheFolder()).filter((name) => name !== "compiled") : [];
}

function run(name: CliName, args: string[], env = cacheOn()): Promise<CliResult> {
  return runCli(name, args, env);
}

const token = (args: string[] = [], env = cacheOn()) => run("token", [...vaultUriArgs(s), ...args], env);
const tokenRequests = () => s.entra.tokenRequests.length;
const refreshTokenWrites = () => s.vault.writes.filter((w) => w.status === 200 && w.name === s.outputs.secretNames.refreshToken).length;

describe("token with the shared cache", () => {
  it("serves the second call from the cache: the same token, and no request to Entra ID or Key Vault", async () => {
    seedRefreshToken(s);
    const first = await token();
    expect(first.code, first.stderr).toBe(0);
    const entraBefore = s.entra.requests.length;
    const vaultBefore = s.vault.requests.length;

    const second = await token();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(s.entra.requests.length).toBe(entraBefore);
    expect(s.vault.requests.length).toBe(vaultBefore);
  });

  it("keeps the cache owner-only: the folder 0700, each entry 0600, holding the access token and never the refresh token", async () => {
    seedRefreshToken(s);
    const result = await token();

    expect(result.code, result.stderr).toBe(0);
    const folder = cacheFolder();
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const files = tokenFiles();
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect(statSync(path.join(folder, files[0]!)).mode & 0o777).toBe(0o600);
    const text = readFileSync(path.join(folder, files[0]!), "utf8");
    expect(JSON.parse(text).accessToken).toBe(result.stdout.trim());
    const stored = s.vault.latest(s.outputs.secretNames.refreshToken)!.value;
    expect(text).not.toContain(stored);
    expect(text).not.toContain(s.clientSecret);
  });

  it.each([
    ["--no-cache", ["--no-cache"], {}],
    ["PARTNER_CENTER_SAM_NO_CACHE=1", [], { PARTNER_CENTER_SAM_NO_CACHE: "1" }],
  ] as const)("redeems again and writes no cache file with %s", async (_label, args, env) => {
    seedRefreshToken(s);
    await token([...args], cacheOn({ ...env }));
    const second = await token([...args], cacheOn({ ...env }));

    expect(second.code, second.stderr).toBe(0);
    expect(tokenRequests()).toBe(2);
    expect(tokenFiles()).toEqual([]);
  });

  it("keeps tokens for different scopes apart", async () => {
    seedRefreshToken(s);
    const partnerCenter = await token();
    const graph = await token(["--scope", "graph"]);

    expect(graph.stdout).not.toBe(partnerCenter.stdout);
    expect(tokenRequests()).toBe(2);
    expect((await token(["--scope", "graph"])).stdout).toBe(graph.stdout);
    expect(tokenRequests()).toBe(2);
  });

  it("redeems again after `cache clear`, which says how many tokens it removed", async () => {
    seedRefreshToken(s);
    await token();

    const cleared = await run("cache", ["clear", "--json"]);

    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({ ok: true, folder: cacheFolder(), removed: 1 });
    await token();
    expect(tokenRequests()).toBe(2);
  });

  it("refuses `cache` with another action than clear (exit 2)", async () => {
    const result = await run("cache", ["empty"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/clear/);
  });

  it("warns in one line about a corrupt cache file, redeems, and rebuilds the entry", async () => {
    seedRefreshToken(s);
    const first = await token();
    const [file] = tokenFiles();
    writeFileSync(path.join(cacheFolder(), file!), '{"version":1,"accessToken":"eyJ');

    const second = await token();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^! The token cache file .* is corrupt or truncated/)]);
    expect(second.stdout).not.toBe(first.stdout);
    expect(tokenRequests()).toBe(2);
    expect((await token()).stdout).toBe(second.stdout);
  });

  it("never reads a cache file other users can read: it warns, redeems and writes a safe one", async () => {
    seedRefreshToken(s);
    const first = await token();
    const [file] = tokenFiles();
    chmodSync(path.join(cacheFolder(), file!), 0o644);

    const second = await token();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/readable by other users \(mode 644\); it was not read/);
    expect(second.stdout).not.toBe(first.stdout);
    expect(statSync(path.join(cacheFolder(), file!)).mode & 0o777).toBe(0o600);
  });

  it("bypasses a cache folder other users can enter, with a warning, and still prints a token", async () => {
    seedRefreshToken(s);
    await token();
    chmodSync(cacheFolder(), 0o755);

    const second = await token();

    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/token cache folder .* is open to other users \(mode 755/);
    expect(tokenRequests()).toBe(2);
  });

  it("goes on without the cache when its folder cannot be created", async () => {
    seedRefreshToken(s);
    const blocker = path.join(cacheOn().XDG_CACHE_HOME!, "not-a-folder");
    mkdirSync(path.dirname(blocker), { recursive: true });
    writeFileSync(blocker, "");

    const result = await token([], cacheOn({ XDG_CACHE_HOME: blocker }));

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^eyJ/);
    expect(result.stderr).toMatch(/^! The token cache folder .* cannot be created \((ENOTDIR|EEXIST)\); the command goes on without the cache\.$/m);
  });
});

describe("the compiled code of the command line", () => {
  it("is stored owner-only in compiled/ (the command line's by --help, the Azure SDKs' by the first command that loads them) and kept by the next", async () => {
    seedRefreshToken(s);
    const compiled = path.join(cacheFolder(), "compiled");
    // Node ≥ 22.1 may keep its own compile cache in a subfolder.
    const v8Files = () => readdirSync(compiled).filter((name) => name.endsWith(".v8")).sort();
    const help = await run("token", ["--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(v8Files()).toEqual([expect.stringMatching(/^[0-9a-f]{40}-v[\d.]+-\w+\.v8$/)]);

    const first = await token(["--no-cache"]);
    expect(first.code, first.stderr).toBe(0);
    const files = v8Files();
    expect(files).toHaveLength(2);
    expect(statSync(compiled).mode & 0o777).toBe(0o700);
    for (const name of files) expect(statSync(path.join(compiled, name)).mode & 0o777).toBe(0o600);
    const stored = files.map((name) => statSync(path.join(compiled, name)).mtimeMs);

    const second = await token(["--no-cache"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^eyJ/);
    expect(v8Files()).toEqual(files);
    expect(files.map((name) => statSync(path.join(compiled, name)).mtimeMs)).toEqual(stored);
  });
});

describe("one vault write a day", () => {
  it("ten token calls with a refresh token stored two days ago make one token request and one vault write", async () => {
    seedRefreshToken(s, { updatedOn: new Date(Date.now() - 48 * HOUR_MS) });

    for (let i = 0; i < 10; i++) expect((await token()).code).toBe(0);

    expect(tokenRequests()).toBe(1);
    expect(refreshTokenWrites()).toBe(1);
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)!.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
  });

  it("ten token calls with a refresh token stored an hour ago make one token request and no vault write", async () => {
    const seeded = seedRefreshToken(s, { updatedOn: new Date(Date.now() - HOUR_MS) });

    for (let i = 0; i < 10; i++) expect((await token()).code).toBe(0);

    expect(tokenRequests()).toBe(1);
    expect(refreshTokenWrites()).toBe(0);
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)!.value).toBe(seeded.token);
  });

  it.each([
    ["always", 1],
    ["never", 0],
  ] as const)("writes back %s with --write-back %s, whatever the stored token's age", async (when, writes) => {
    seedRefreshToken(s, { updatedOn: new Date(Date.now() - (when === "always" ? HOUR_MS : 48 * HOUR_MS)) });

    const result = await token(["--write-back", when, "--no-cache"]);

    expect(result.code, result.stderr).toBe(0);
    expect(refreshTokenWrites()).toBe(writes);
  });

  it("refuses another --write-back value with exit 2 before any request", async () => {
    const result = await token(["--write-back", "weekly"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--write-back must be always, daily or never, got "weekly"/);
    expect(s.entra.requests).toEqual([]);
  });
});

describe("round trips of a cold token command", () => {
  it("asks Entra ID for the token and the vault's managed-identity token only: no OpenID metadata or instance discovery", async () => {
    seedRefreshToken(s, { updatedOn: new Date(Date.now() - HOUR_MS) });

    const result = await token([], s.childEnv());

    expect(result.code, result.stderr).toBe(0);
    expect(s.entra.requests.map((r) => `${r.method} ${r.path.replace(s.tenantId, "{tenant}")}`).sort()).toEqual(["GET /msi/token", "POST /{tenant}/oauth2/v2.0/token"]);
    // The four secrets, each read once, all at once (each first met by the vault's 401 challenge, which the
    // Key Vault SDK answers with the bearer token, as against the real service).
    const reads = s.vault.requests.filter((r) => r.method === "GET" && r.name);
    expect(reads.filter((r) => r.authenticated && r.status === 200).map((r) => r.name).sort()).toEqual(Object.values(s.outputs.secretNames).sort());
    // With --vault-uri the kind of app credential is not known: the client-secret name is looked up too, and only it answers 404.
    expect(reads.filter((r) => r.authenticated && r.status !== 200).map((r) => `${r.status} ${r.name}`)).toEqual(
      expect.arrayContaining([`404 ${DEFAULT_SECRET_NAMES.clientSecret}`]),
    );
    expect(new Set(reads.filter((r) => r.authenticated && r.status !== 200).map((r) => r.name))).toEqual(new Set([DEFAULT_SECRET_NAMES.clientSecret]));
    expect(reads.filter((r) => !r.authenticated).map((r) => r.status)).toEqual(reads.filter((r) => !r.authenticated).map(() => 401));
  });
});

describe("call with the shared cache", () => {
  it("drops a cached token Partner Center refuses with 401 and retries once with a fresh one, which it caches", async () => {
    seedRefreshToken(s);
    const first = await token();
    s.partnerCenter.failNext(1, 401);

    const result = await run("call", ["/v1/profiles/organization", ...vaultUriArgs(s)]);

    expect(result.code, result.stderr).toBe(0);
    expect(tokenRequests()).toBe(2);
    const cached = await token();
    expect(cached.stdout).not.toBe(first.stdout);
    expect(tokenRequests()).toBe(2);
  });
});
