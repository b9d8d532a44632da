import { ExitCode, SamError, type SamErrorOptions } from "./errors";

/** Exit codes after a termination signal: 128 + the signal's number, as shells report them. */
export const SIGNAL_EXIT_CODES = Object.freeze({ SIGINT: 130, SIGTERM: 143 });

/** The signals that cancel a command while it waits for a person. */
export type TerminationSignal = keyof typeof SIGNAL_EXIT_CODES;

/**
 * Someone stopped the command (Ctrl-C: SIGINT; the system or a job runner:
 * SIGTERM) while it waited. The command cleans up, writes nothing and exits
 * with {@link CancelledError.signalExitCode} (130 or 143).
 */
export class CancelledError extends SamError {
  readonly signal: TerminationSignal;
  /** 130 for SIGINT, 143 for SIGTERM. */
  readonly signalExitCode: number;

  constructor(signal: TerminationSignal, message: string, options: SamErrorOptions = {}) {
    super("cancelled", message, ExitCode.ActionNeeded, options);
    this.signal = signal;
    this.signalExitCode = SIGNAL_EXIT_CODES[signal];
  }
}

/**
 * Calls `handler` on SIGINT or SIGTERM instead of letting the process die, until
 * the returned function is called (which restores the default behaviour).
 */
export function onTerminationSignal(handler: (signal: TerminationSignal) => void): () => void {
  const listeners = (Object.keys(SIGNAL_EXIT_CODES) as TerminationSignal[]).map((signal) => [signal, () => handler(signal)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
