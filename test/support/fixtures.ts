/**
 * Fixtures shared by the end-to-end tests of refresh, status and the token
 * provider: the state the bootstrap leaves in the vault (a consented refresh
 * token with its tags), saved stack-outputs files, snapshots of the vault for
 * "left untouched" checks, and the secret values no output may contain.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RefreshTokenTags } from "../../bootstrap/src/vault/vault-store";
import type { StandInUser, StandIns } from "./stand-ins";

export const DAY_MS = 24 * 60 * 60 * 1000;

/** When the seeded consent happened: a fixed time in the past, so a refresh visibly keeps it. */
export const CONSENTED_AT = new Date(Date.now() - 30 * DAY_MS).toISOString();

/** The tags the bootstrap writes on the refresh-token secret. */
export type ConsentTags = RefreshTokenTags;

/** Options of {@link seedRefreshToken}. */
export interface SeedRefreshTokenOptions {
  /** Overrides for the bootstrap's tags. */
  tags?: Partial<ConsentTags>;
  /** The secret's expiry; `null` for none. Default: last write + 90 days. */
  expiresOn?: Date | null;
  /** The secret's last write (default now). */
  updatedOn?: Date;
}

/** A refresh token the stand-in accepts, stored in the vault as the bootstrap stores it. */
export interface SeededRefreshToken {
  token: string;
  version: string;
  tags: ConsentTags;
}

/** The bootstrap's tags for the stand-ins' MFA admin, consented at {@link CONSENTED_AT}. */
export function consentTags(s: StandIns, overrides: Partial<ConsentTags> = {}): ConsentTags {
  return {
    consentedAt: CONSENTED_AT,
    consentedBy: s.users.admin.username,
    mfa: "true",
    tenantId: s.tenantId,
    clientId: s.clientId,
    refreshedAt: CONSENTED_AT,
    ...overrides,
  };
}

/**
 * Issues a refresh token for the admin at the emulated Entra ID (as if the
 * bootstrap had run) and stores it as a new version of the refresh-token
 * secret — the emulator's own `storeRefreshToken`, with the tags of a consent
 * at {@link CONSENTED_AT}.
 */
export function seedRefreshToken(s: StandIns, options: SeedRefreshTokenOptions = {}): SeededRefreshToken {
  return s.emulator.storeRefreshToken({ user: s.users.admin.username, tags: consentTags(s, options.tags), updatedOn: options.updatedOn, expiresOn: options.expiresOn });
}

const scratchDirs: string[] = [];

/** A new temporary directory, removed by {@link removeScratchDirs}. */
export function scratchDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-fixture-"));
  scratchDirs.push(dir);
  return dir;
}

/** Removes every directory {@link scratchDir} made. */
export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Saves the stand-ins' stack outputs (with `overrides`) as
 * `pulumi stack output --json --show-secrets` would, and returns the file.
 */
export function writeOutputsFile(s: StandIns, overrides: Record<string, unknown> = {}): string {
  const file = path.join(scratchDir(), "stack.outputs.json");
  writeFileSync(file, JSON.stringify({ ...s.outputs, ...overrides }, null, 2));
  return file;
}

/** `--vault-uri` and endpoint flags that find the stand-ins without stack outputs. */
export function vaultUriArgs(s: StandIns): string[] {
  return ["--vault-uri", s.vault.url, "--authority-host", s.entra.url, "--partner-center-endpoint", s.partnerCenter.url];
}

/** What "the vault was left untouched" compares. */
export interface RefreshTokenSnapshot {
  latestVersion?: string;
  latestValue?: string;
  versionCount: number;
  writeCount: number;
}

/** The refresh-token secret's state and the vault's write count, now. */
export function refreshTokenSnapshot(s: StandIns): RefreshTokenSnapshot {
  const name = s.outputs.secretNames.refreshToken;
  const latest = s.vault.latest(name);
  return { latestVersion: latest?.version, latestValue: latest?.value, versionCount: s.vault.versions(name).length, writeCount: s.vault.writeCount };
}

/** Every secret value the stand-ins hold: client secret or certificate key, and every version of every vault secret but the ids. */
export function secretValues(s: StandIns): string[] {
  const names = [s.outputs.secretNames.clientSecret, s.outputs.secretNames.clientCertificate, s.outputs.secretNames.refreshToken].filter((n): n is string => n !== undefined);
  const own = [s.clientSecret, s.clientCertificate?.privateKeyPem].filter((v): v is string => v !== undefined);
  return [...own, ...names.flatMap((name) => s.vault.versions(name).map((v) => v.value))];
}

/** The documentation pages: README.md first, then every page of docs/, by path. */
export function docPages(): Array<{ path: string; text: string }> {
  const root = process.cwd();
  const pages = readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => path.join("docs", name));
  return ["README.md", ...pages].map((file) => ({ path: file, text: readFileSync(path.join(root, file), "utf8") }));
}

/** All the documentation's text (README.md and docs/), for checks that the commands match what it documents. */
export function docs(): string {
  return docPages()
    .map((page) => page.text)
    .join("\n");
}

/**
 * The documentation section that starts with the `## ` heading containing `heading`
 * (in README.md or any page of docs/), up to the next `## ` or the end of its page.
 */
export function docSection(heading: string): string {
  for (const page of docPages()) {
    const lines = page.text.split("\n");
    const start = lines.findIndex((line) => line.startsWith("## ") && line.includes(heading));
    if (start < 0) continue;
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((line) => line.startsWith("## "));
    return rest.slice(0, end < 0 ? undefined : end).join("\n");
  }
  throw new Error(`The documentation has no section "${heading}"`);
}

/** Every `--flag` in the first column of the option table of a README section. */
export function documentedFlags(heading: string): string[] {
  const rows = docSection(heading)
    .split("\n")
    .filter((line) => /^\| `--/.test(line));
  const flags = rows.flatMap((row) => row.split("|")[1].match(/--[a-z][a-z-]*/g) ?? []);
  if (flags.length === 0) throw new Error(`The documentation has no option table in section "${heading}"`);
  return [...new Set(flags)];
}

/** Token-shaped text: JWTs and the emulator's refresh tokens and codes (`1.A…`). */
const TOKEN_SHAPED = [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/, /\b1\.A[\w-]{40,}/];

/** Leaks shorter than this many characters of a secret's random part are not looked for. */
const LEAK_WINDOW = 16;

/** The part of a secret that is random: a JWT's signature (its header is the same for every token), a code's or refresh token's body. */
function randomPart(secret: string): string {
  const segments = secret.split(".");
  if (segments.length === 3 && secret.startsWith("eyJ")) return segments[2];
  return secret.startsWith("1.A") ? secret.slice(3) : secret;
}

/** True if `screen` (given with all its LEAK_WINDOW-long substrings) shows `secret`, whole or any LEAK_WINDOW characters of its random part. */
function shows(screen: string, windows: Set<string>, secret: string): boolean {
  if (screen.includes(secret)) return true;
  const part = randomPart(secret);
  for (let i = 0; i + LEAK_WINDOW <= part.length; i++) if (windows.has(part.slice(i, i + LEAK_WINDOW))) return true;
  return false;
}

/**
 * The one "nothing secret on screen" check: what in `texts` (command output)
 * is a secret of the emulator behind `s` — the client secret, every value the
 * vault holds (but the ids), every code and token Entra ID issued and the
 * users' passwords, whole or as any 16 characters of their random part; the
 * users' MFA codes; and anything token-shaped. Empty when nothing leaked.
 */
export function leakedSecrets(s: StandIns, texts: readonly string[]): string[] {
  const screen = texts.join("\n");
  const leaks: string[] = [];
  texts.forEach((text, i) => {
    for (const pattern of TOKEN_SHAPED) if (pattern.test(text)) leaks.push(`output #${i} contains token-shaped text ${pattern}`);
  });
  const users = Object.values(s.users).filter((u): u is StandInUser => u !== undefined);
  const secrets = [...new Set([...secretValues(s), ...s.entra.issuedSecrets(), ...users.map((u) => u.password)])].filter(Boolean);
  const windows = new Set<string>();
  for (let i = 0; i + LEAK_WINDOW <= screen.length; i++) windows.add(screen.slice(i, i + LEAK_WINDOW));
  const kind = (secret: string): string => (secret.startsWith("eyJ") ? "a JWT" : secret.startsWith("1.A") ? "a code or refresh token" : "a password or secret value");
  secrets.forEach((secret, i) => {
    if (shows(screen, windows, secret)) leaks.push(`secret #${i}, ${kind(secret)}`);
  });
  for (const user of users.filter((u) => u.mfaCode)) {
    if (new RegExp(`(?<![0-9A-Za-z])${user.mfaCode}(?![0-9A-Za-z])`).test(screen)) leaks.push(`MFA code of ${user.username}`);
  }
  return leaks;
}
