/**
 * How a library flow tells its caller what it is doing, and which values must
 * never be shown. The command line's Reporter implements it (stderr, scrubbed);
 * library callers can pass {@link silentProgress} or their own logger.
 */
export interface Progress {
  /** A step the flow is taking. */
  step(message: string): void;
  /** Something the user should know, such as why the flow waits. */
  note(message: string): void;
  /** A warning that does not stop the flow. */
  warn(message: string): void;
  /** Registers values (tokens, codes, secrets) that must never be printed. */
  protect(...values: Array<string | undefined>): void;
  /**
   * A wait of at most `durationMs` (a sign-in, a role assignment propagating):
   * a live countdown on a terminal, the plain `message` line otherwise. Returns
   * a function that ends it early; it also ends by itself when the time is up.
   * Optional: a caller without it shows `message` as a note.
   */
  wait?(message: string, durationMs: number): () => void;
}

/** Progress for flows that need to ask a person (a URL to open, a prompt). */
export interface InteractiveProgress extends Progress {
  /** Text meant for the user to act on. */
  prompt(message: string): void;
}

/** Progress that prints nothing. */
export const silentProgress: Progress = Object.freeze({
  step: () => undefined,
  note: () => undefined,
  warn: () => undefined,
  protect: () => undefined,
});
