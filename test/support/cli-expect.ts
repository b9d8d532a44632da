/** Assertions on command output shared by the end-to-end command tests (vitest only). */
import { afterAll, afterEach, beforeEach, expect } from "vitest";
import { leakedSecrets, removeScratchDirs } from "./fixtures";
import { transcript, type CliResult } from "./run-cli";
import { startStandIns, type StandIns, type StartStandInsOptions } from "./stand-ins";

/** The one JSON document a `--json` run printed on stdout; fails the test with both streams if it is not one. */
export function jsonStdout(result: CliResult): Record<string, unknown> {
  expect(() => JSON.parse(result.stdout), `stdout is one JSON document:\n${result.stdout}\nstderr:\n${result.stderr}`).not.toThrow();
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Everything the commands printed in this worker contains no secret of any of `standIns`, and nothing token-shaped. */
export function expectNoSecretPrinted(standIns: readonly StandIns[]): void {
  expect(transcript.length).toBeGreaterThan(0);
  expect(standIns.flatMap((s) => leakedSecrets(s, transcript))).toEqual([]);
}

/**
 * Starts fresh stand-ins before each test of the file and stops them after it;
 * `use` receives each new set. Returns every set started, for the final
 * "no secret printed" check. Scratch directories are removed after the file.
 */
export function freshStandInsPerTest(use: (standIns: StandIns) => void, options: StartStandInsOptions = {}): StandIns[] {
  const all: StandIns[] = [];
  let current: StandIns | undefined;
  beforeEach(async () => {
    current = await startStandIns(options);
    all.push(current);
    use(current);
  });
  afterEach(async () => {
    await current?.stop();
  });
  afterAll(() => {
    removeScratchDirs();
  });
  return all;
}
