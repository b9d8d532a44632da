/** Exponential backoff for operations that fail while something propagates. */

/** Options for {@link retryWithBackoff}. */
export interface RetryOptions {
  /** Give up once this much time has passed since the first attempt (ms). */
  maxWaitMs: number;
  /** Delay before the first retry (ms). Default 2000. */
  initialDelayMs?: number;
  /** Largest delay between attempts (ms). Default 30000. */
  maxDelayMs?: number;
  /** Decides whether an error is worth another attempt. */
  isRetryable: (error: unknown) => boolean;
  /** Called before each wait, so the caller can tell the user why it waits. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injectable for tests of the schedule itself. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The delay before retry number `attempt` (1-based): 2 s, 4 s, 8 s … capped. */
export function backoffDelay(attempt: number, initialDelayMs = 2000, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
}

/**
 * Runs `operation` until it succeeds, a non-retryable error occurs, or the
 * next wait would end after `maxWaitMs`; then the last error is thrown.
 */
export async function retryWithBackoff<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!options.isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt, options.initialDelayMs, options.maxDelayMs);
      if (now() - started + delayMs > options.maxWaitMs) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
