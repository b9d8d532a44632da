/**
 * The reliability suite's harness: each case sets up fresh stand-ins, runs one
 * command, library call or raw request against them, and is judged on four
 * things — the outcome (exit code, HTTP status, rejection), the message (what
 * happened and what to do next), that no secret value appears in any output,
 * and that the vault holds exactly what it held before (or the newest token).
 * Results are written to `.vitest-report/reliability-<kind>.json` for the
 * table `npm run test:reliability` prints and the README's totals.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { leakedSecrets, removeScratchDirs } from "../support/fixtures";
import { runCli, startCli, type CliName, type CliResult } from "../support/run-cli";
import { startStandIns, type StandIns, type StartStandInsOptions } from "../support/stand-ins";

/** "bad input": something a person or a hostile local process feeds in. "fault": something a service or the system does. */
export type CaseKind = "bad input" | "fault";

/** What the vault must hold after the case. */
export type VaultExpectation =
  /** Every secret's versions and values exactly as before the case ran. */
  | "unchanged"
  /** The refresh token stored is the newest one Entra ID issued (the case redeemed it). */
  | "newest"
  /**
   * Concurrent writers: the refresh token stored is one this case's redemptions
   * got (not the one stored before) and Entra ID still accepts it. Which of them
   * the vault holds depends on which writer stored last; real Entra ID keeps
   * every one of them valid.
   */
  | "rotated";

/** What one run produced. */
export interface CaseRun {
  /** e.g. `exit 2`, `HTTP 400`, `rejected UsageError`. */
  outcome: string;
  /** Everything printed or answered, checked for the message and for leaks. */
  texts: string[];
}

/** One case of the table. */
export interface ReliabilityCase {
  name: string;
  /** Where the input or fault enters: `refresh flags`, `outputs file`, `vault`, … */
  area: string;
  expected: {
    outcome: string;
    /** The message must say what happened (and, for errors, what to do next). */
    message: RegExp;
    vault: VaultExpectation;
  };
  /** Stand-in options for this case. */
  standIns?: StartStandInsOptions;
  /** Runs the case against fresh stand-ins (already seeded by `setup`). */
  run(s: StandIns): Promise<CaseRun>;
  /** Seeds the vault or the stand-ins' faults before the snapshot is taken. */
  setup?(s: StandIns): void | Promise<void>;
  /** Extra values that must never be printed (e.g. a password in a URL). */
  secrets?: string[];
}

/** Result of one case, as recorded for the report. */
export interface CaseRecord {
  kind: CaseKind;
  area: string;
  name: string;
  expected: string;
  result: string;
  passed: boolean;
}

/** The vault's whole state: every secret's versions, values, enabled flags and tags. */
function vaultState(s: StandIns): string {
  return JSON.stringify(
    s.vault.names().map((name) => [name, s.vault.versions(name).map((v) => [v.version, v.value, v.enabled, v.tags])]),
  );
}

/** Runs a CLI to the end and reports `exit N` with both streams. */
export async function cli(s: StandIns, name: CliName, args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<CaseRun> {
  const result: CliResult = await runCli(name, args, s.childEnv(options.env), options.input);
  return { outcome: `exit ${result.code}`, texts: [result.stdout, result.stderr] };
}

/** Starts a CLI, runs `during` while it is alive (e.g. to send a signal), and reports `exit N`. */
export async function cliWith(
  s: StandIns,
  name: CliName,
  args: string[],
  during: (child: ReturnType<typeof startCli>) => Promise<void>,
  env: Record<string, string | undefined> = {},
): Promise<CaseRun> {
  const running = startCli(name, args, s.childEnv(env));
  await during(running);
  const result = await running.done;
  return { outcome: result.code === null ? "killed" : `exit ${result.code}`, texts: [result.stdout, result.stderr] };
}

/** Reports how a library call settled: `resolved` or `rejected <ErrorClass>`, with the message. */
export async function settle(call: () => unknown): Promise<CaseRun> {
  let promise: unknown;
  try {
    promise = call();
  } catch (error) {
    return { outcome: `threw ${(error as Error).name}`, texts: [(error as Error).message] };
  }
  try {
    await promise;
    return { outcome: "resolved", texts: [] };
  } catch (error) {
    const e = error as Error & { hint?: string };
    return { outcome: `rejected ${e.name}`, texts: [e.message, e.hint ?? ""] };
  }
}

/**
 * Declares one vitest test per case and writes the records of `kind` after the
 * file. The newest-token check asks the Entra stand-in which refresh token it
 * issued last for the admin.
 */
export function defineCases(kind: CaseKind, cases: readonly ReliabilityCase[]): void {
  const records: CaseRecord[] = [];
  const names = new Set<string>();
  for (const c of cases) {
    const key = `${c.area}: ${c.name}`;
    if (names.has(key)) throw new Error(`duplicate reliability case: ${key}`);
    names.add(key);
    it(`${c.area}: ${c.name}`, async () => {
      const s = await startStandIns(c.standIns);
      const record: CaseRecord = { kind, area: c.area, name: c.name, expected: c.expected.outcome, result: "not run", passed: false };
      records.push(record);
      try {
        await c.setup?.(s);
        const before = vaultState(s);
        const seededBefore = s.vault.latest(s.outputs.secretNames.refreshToken)?.value;
        const run = await c.run(s);
        record.result = run.outcome;
        const text = run.texts.join("\n");
        expect(run.outcome, text).toBe(c.expected.outcome);
        expect(text).toMatch(c.expected.message);
        expect(leakedSecrets(s, run.texts)).toEqual([]);
        for (const secret of c.secrets ?? []) expect(text).not.toContain(secret);
        const stored = () => s.vault.latest(s.outputs.secretNames.refreshToken)?.value;
        if (c.expected.vault === "unchanged") {
          expect(vaultState(s), "the vault holds exactly what it held before").toBe(before);
        } else if (c.expected.vault === "rotated") {
          expect(stored(), "the vault holds a refresh token issued by this case").not.toBe(seededBefore);
          expect(s.entra.isRefreshTokenValid(stored() ?? ""), "the stored refresh token still works").toBe(true);
        } else {
          const latest = s.vault.latest(s.outputs.secretNames.refreshToken);
          expect(latest?.value, "the vault holds the newest refresh token").toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
        }
        record.passed = true;
      } finally {
        s.clearBlockedConnections();
        await s.stop();
      }
    });
  }
  afterAll(() => {
    removeScratchDirs();
    const dir = path.join(process.cwd(), ".vitest-report");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `reliability-${kind.replace(" ", "-")}.json`), JSON.stringify(records, null, 2));
  });
}
