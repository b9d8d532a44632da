import { Deadline } from "../core/retry";

/**
 * Runs `work` under a fresh {@link Deadline} of `totalMs`, which `signal` (e.g.
 * SIGTERM in the command line) can also cancel: aborting it cancels whatever is
 * in flight, with the signal's reason as the error. The deadline is disposed of
 * when `work` settles.
 */
export async function withDeadline<T>(totalMs: number, signal: AbortSignal | undefined, work: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(totalMs);
  const onAbort = () => deadline.cancel(signal?.reason instanceof Error ? signal.reason : new Error("cancelled"));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await work(deadline);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    deadline.dispose();
  }
}
