/**
 * Node built-ins that the command line's always-loaded modules use only when
 * they do their work, loaded then: `node:crypto` alone is some 3 ms of start-up
 * that `--help` and `--version` need not pay (see docs/performance.md).
 */
import type * as Crypto from "node:crypto";
import type * as FsPromises from "node:fs/promises";

/** `node:crypto`, loaded on first call. */
export function nodeCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:crypto") as typeof Crypto;
}

/** `node:fs/promises`, loaded on first call. */
export function nodeFsPromises(): typeof FsPromises {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("node:fs/promises") as typeof FsPromises;
}
