/**
 * Fixtures shared by the end-to-end tests of refresh, status and the token
 * provider: the state the bootstrap leaves in the vault (a consented refresh
 * token with its tags), saved stack-outputs files, snapshots of the vault for
 * "left untouched" checks, and the secret values no output may contain.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RefreshTokenTags } from "../../bootstrap/src/vault-store";
import type { StandIns } from "./stand-ins";

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

/** Every secret value the stand-ins hold: client secret and every version of every vault secret but the ids. */
export function secretValues(s: StandIns): string[] {
  const names = [s.outputs.secretNames.clientSecret, s.outputs.secretNames.refreshToken];
  return [s.clientSecret, ...names.flatMap((name) => s.vault.versions(name).map((v) => v.value))];
}

/** The README's text, for checks that the commands match what it documents. */
export function readme(): string {
  return readFileSync(path.join(process.cwd(), "README.md"), "utf8");
}

/** The README section that starts with the heading containing `heading`, up to the next `## `. */
export function readmeSection(heading: string): string {
  const text = readme();
  const start = text.split("\n").findIndex((line) => line.startsWith("## ") && line.includes(heading));
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const lines = text.split("\n").slice(start + 1);
  const end = lines.findIndex((line) => line.startsWith("## "));
  return lines.slice(0, end < 0 ? undefined : end).join("\n");
}

/** Every `--flag` in the first column of the option table of a README section. */
export function documentedFlags(heading: string): string[] {
  const rows = readmeSection(heading)
    .split("\n")
    .filter((line) => /^\| `--/.test(line));
  const flags = rows.flatMap((row) => row.split("|")[1].match(/--[a-z][a-z-]*/g) ?? []);
  if (flags.length === 0) throw new Error(`README section "${heading}" has no option table`);
  return [...new Set(flags)];
}

/** Token-shaped text: JWTs and the stand-in's refresh tokens (`1.A…`). */
const TOKEN_SHAPED = [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/, /\b1\.A[\w-]{40,}/];

/**
 * What in `texts` (command output) is a secret: any secret value the stand-ins
 * hold (`secretValues`) or anything token-shaped. Empty when nothing leaked.
 */
export function leakedSecrets(s: StandIns, texts: readonly string[]): string[] {
  const values = secretValues(s);
  const leaks: string[] = [];
  texts.forEach((text, i) => {
    if (values.some((v) => text.includes(v))) leaks.push(`output #${i} contains a stored secret value`);
    for (const pattern of TOKEN_SHAPED) if (pattern.test(text)) leaks.push(`output #${i} contains token-shaped text ${pattern}`);
  });
  return leaks;
}
