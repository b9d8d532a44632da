import { describe, expect, it, vi } from "vitest";
import { backoffDelay, retryWithBackoff, type RetryOptions } from "../../bootstrap/src/retry";

const TEN_MINUTES = 10 * 60 * 1000;

class Retryable extends Error {}

/**
 * A fake clock: `sleep` advances it instantly and records each wait; each
 * attempt of the operation takes `attemptMs` of clock time.
 */
function harness(options: { failures: number; attemptMs?: number }) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  let attempts = 0;
  const operation = vi.fn(async () => {
    attempts += 1;
    clock += options.attemptMs ?? 0;
    if (attempts <= options.failures) throw new Retryable(`attempt ${attempts} failed`);
    return `succeeded on attempt ${attempts}`;
  });
  const retry: Pick<RetryOptions, "sleep" | "now" | "isRetryable"> = {
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    isRetryable: (error) => error instanceof Retryable,
  };
  return { operation, retry, sleeps };
}

describe("retryWithBackoff", () => {
  it("waits 2 s, 4 s, 8 s, 16 s, then 30 s between attempts", async () => {
    const { operation, retry, sleeps } = harness({ failures: 6 });
    const onRetry = vi.fn();
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: TEN_MINUTES, onRetry })).resolves.toBe("succeeded on attempt 7");
    expect(sleeps).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    expect(onRetry.mock.calls.map(([info]) => [info.attempt, info.delayMs])).toEqual([
      [1, 2000],
      [2, 4000],
      [3, 8000],
      [4, 16000],
      [5, 30000],
      [6, 30000],
    ]);
    expect(onRetry.mock.calls[0]![0].error).toBeInstanceOf(Retryable);
  });

  it("returns the first success without waiting", async () => {
    const { operation, retry, sleeps } = harness({ failures: 0 });
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: TEN_MINUTES })).resolves.toBe("succeeded on attempt 1");
    expect(sleeps).toEqual([]);
  });

  it("keeps waiting while the next wait ends exactly at maxWaitMs", async () => {
    const { operation, retry, sleeps } = harness({ failures: 3 });
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: 2000 + 4000 + 8000 })).resolves.toBe("succeeded on attempt 4");
    expect(sleeps).toEqual([2000, 4000, 8000]);
  });

  it("stops and throws the last error when the next wait would pass maxWaitMs", async () => {
    const { operation, retry, sleeps } = harness({ failures: 100 });
    const onRetry = vi.fn();
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: 2000 + 4000 + 8000 - 1, onRetry })).rejects.toThrow("attempt 3 failed");
    expect(sleeps).toEqual([2000, 4000]);
    expect(operation).toHaveBeenCalledTimes(3);
    expect(onRetry).toHaveBeenCalledTimes(2);
  });

  it("counts the time the attempts themselves take against maxWaitMs", async () => {
    const { operation, retry, sleeps } = harness({ failures: 100, attemptMs: 5000 });
    // 5 s attempt + 2 s wait + 5 s attempt = 12 s; another 4 s wait would end at 16 s > 15 s.
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: 15_000 })).rejects.toThrow("attempt 2 failed");
    expect(sleeps).toEqual([2000]);
  });

  it("gives up after about ten minutes with the default schedule", async () => {
    const { operation, retry, sleeps } = harness({ failures: 1000 });
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: TEN_MINUTES })).rejects.toBeInstanceOf(Retryable);
    const waited = sleeps.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeLessThanOrEqual(TEN_MINUTES);
    expect(waited + 30_000).toBeGreaterThan(TEN_MINUTES);
  });

  it("throws a non-retryable error at once, without waiting or calling onRetry", async () => {
    const { retry, sleeps } = harness({ failures: 0 });
    const fatal = new Error("403: the caller lacks the role");
    const operation = vi.fn(() => Promise.reject(fatal));
    const onRetry = vi.fn();
    await expect(retryWithBackoff(operation, { ...retry, maxWaitMs: TEN_MINUTES, onRetry })).rejects.toBe(fatal);
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it("uses the configured initial and largest delays", async () => {
    const { operation, retry, sleeps } = harness({ failures: 4 });
    await retryWithBackoff(operation, { ...retry, maxWaitMs: TEN_MINUTES, initialDelayMs: 100, maxDelayMs: 500 });
    expect(sleeps).toEqual([100, 200, 400, 500]);
  });
});

describe("backoffDelay", () => {
  it("doubles from the initial delay and caps at the largest delay", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffDelay(attempt))).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(3, 50, 120)).toBe(120);
  });
});
