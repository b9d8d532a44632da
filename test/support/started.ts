/**
 * The stand-ins this test file started, for the file-wide leak check
 * (leak-check.ts). A module of its own so that check loads nothing else.
 */
import type { StandIns } from "./stand-ins";

const started: StandIns[] = [];

/** Records stand-ins as started by this file. */
export function recordStarted(s: StandIns): void {
  started.push(s);
}

/** Every stand-ins set this file started, oldest first. */
export function startedStandIns(): readonly StandIns[] {
  return started;
}
