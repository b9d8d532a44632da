/**
 * Access to the loopback-only guard (loopback-only.cjs) without depending on
 * vitest, so scripts such as a benchmark can start the stand-ins too. Loading
 * this module installs the guard in the current process.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** Absolute path of the guard, for `NODE_OPTIONS=--require …`. */
export const LOOPBACK_ONLY_CJS = path.join(process.cwd(), "test", "support", "loopback-only.cjs");

/** One refused connection or DNS lookup. */
export interface BlockedConnection {
  target: string;
  pid: number;
  at: string;
}

/** The guard's API. */
export interface LoopbackOnly {
  isLoopbackAddress(address: string): boolean;
  isLoopbackHost(host: string): boolean;
  /** Refusals recorded in this process, oldest first. */
  blockedConnections(): BlockedConnection[];
  /** Forgets this process's refusals (after a test asserted on them). */
  clearBlockedConnections(): void;
}

if (!existsSync(LOOPBACK_ONLY_CJS)) {
  throw new Error(`loopback-only guard not found at ${LOOPBACK_ONLY_CJS}; run from the repository root.`);
}

/** The installed guard (Node's own require, so it patches the real `net` and `dns`). */
export const loopbackOnly: LoopbackOnly = createRequire(LOOPBACK_ONLY_CJS)(LOOPBACK_ONLY_CJS);
