/**
 * The fan-out engine's scheduler: runs `work` for each item with at most
 * `concurrency` in flight, and yields each outcome as soon as it settles (an
 * async iterable, so a caller can print one line per customer without keeping
 * the estate in memory). After `maxFailures` failed items it starts no new ones
 * and says so in the summary; when `signal` aborts it starts no new ones, waits
 * for those in flight (their work sees the same signal) and throws the reason.
 */
import { abortError } from "../core/error-catalogue";

/** Default customers in flight. */
export const DEFAULT_CONCURRENCY = 8;
/** The most customers in flight `--concurrency` accepts. */
export const MAX_CONCURRENCY = 64;

/** Options of {@link runPool}. */
export interface PoolOptions {
  /** Items in flight at once: 1..{@link MAX_CONCURRENCY}, default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  /** Start no new item once this many failed. Default: no limit. */
  maxFailures?: number;
  /** Stops starting items; work in flight sees it too. */
  signal?: AbortSignal;
}

/** The outcome of one item. */
export type PoolOutcome<I, T> = { item: I; ok: true; value: T } | { item: I; ok: false; error: unknown };

/** What a finished run did. */
export interface PoolSummary {
  total: number;
  completed: number;
  failed: number;
  /** Items never started because `maxFailures` was reached. */
  notStarted: number;
  /** True when the run stopped starting items after `maxFailures` failures. */
  stoppedAfterFailures: boolean;
}

/** Checks a concurrency value; throws a TypeError naming the bounds. */
export function checkConcurrency(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) throw new TypeError(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${String(value)}.`);
  return value;
}

/** Runs `work` over `items` (see the module comment); the generator's return value is the summary. */
export async function* runPool<I, T>(items: readonly I[], work: (item: I, index: number) => Promise<T>, options: PoolOptions = {}): AsyncGenerator<PoolOutcome<I, T>, PoolSummary, undefined> {
  const concurrency = checkConcurrency(options.concurrency);
  const { maxFailures, signal } = options;
  if (maxFailures !== undefined && (!Number.isInteger(maxFailures) || maxFailures < 1)) throw new TypeError(`maxFailures must be a positive integer, got ${String(maxFailures)}.`);
  const done: Array<PoolOutcome<I, T>> = [];
  let next = 0;
  let running = 0;
  let failed = 0;
  let completed = 0;
  let stoppedAfterFailures = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const start = () => {
    while (running < concurrency && next < items.length && !stoppedAfterFailures && !signal?.aborted) {
      const index = next++;
      const item = items[index]!;
      running++;
      let promise: Promise<T>;
      try {
        promise = work(item, index);
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise
        .then(
          (value): PoolOutcome<I, T> => ({ item, ok: true, value }),
          (error: unknown): PoolOutcome<I, T> => ({ item, ok: false, error }),
        )
        .then((outcome) => {
          running--;
          completed++;
          if (!outcome.ok) {
            failed++;
            if (maxFailures !== undefined && failed >= maxFailures && next < items.length) stoppedAfterFailures = true;
          }
          // Work aborted by the signal is not a result: what completed was yielded, the rest is reported by the throw below.
          if (!(signal?.aborted && !outcome.ok)) done.push(outcome);
          else completed--;
          start();
          notify();
        });
    }
  };
  signal?.addEventListener("abort", notify, { once: true });
  try {
    start();
    while (running > 0 || done.length > 0) {
      if (done.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      while (done.length > 0) yield done.shift()!;
    }
  } finally {
    signal?.removeEventListener("abort", notify);
  }
  if (signal?.aborted) throw abortError(signal.reason);
  return { total: items.length, completed, failed, notStarted: items.length - next, stoppedAfterFailures };
}
