/**
 * Writes a file of the user's cache folder (the token cache, the compiled code)
 * whole or not at all, readable by its owner only: into a temporary file created
 * exclusively (0600), renamed over the target. A file or link planted under the
 * temporary name makes the write fail instead of being followed, and two
 * processes writing the same file at once leave one whole file, never a mix.
 * Only node:fs: the bin's first file loads it.
 */
import { closeSync, constants, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

let written = 0;

/** Writes `data` to `file` atomically, owner-only; throws what failed (the temporary file is removed). */
export function writeOwnerOnlyFile(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}-${written++}.tmp`;
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was created, or it is gone already
    }
    throw error;
  }
}
