import { describe, expect, it, vi } from "vitest";
import {
  CancelledError,
  Deadline,
  RetryAfterTooLongError,
  TimeoutError,
  backoffDelay,
  isTransientNetworkError,
  isTransientStatus,
  parseRetryAfter,
  withRetries,
  type Classification,
  type RetryConcern,
  type WithRetriesOptions,
} from "../../../bootstrap/src/core/retry";

/** A failure the fake classifier sorts by `concern`, optionally with a Retry-After. */
class Failure extends Error {
  constructor(
    readonly concern: RetryConcern | "fatal",
    readonly retryAfterMs?: number,
  ) {
    super(`${concern} failure`);
  }
}

/**
 * A fake clock: `sleep` advances it instantly and records each wait; each
 * attempt of the operation takes `attemptMs` of clock time and fails with the
 * next entry of `failures` until they run out.
 */
function harness(failures: Failure[], attemptMs = 0) {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  let attempts = 0;
  const operation = vi.fn(async (signal: AbortSignal) => {
    expect(signal).toBeInstanceOf(AbortSignal);
    attempts += 1;
    clock += attemptMs;
    const failure = failures[attempts - 1];
    if (failure) throw failure;
    return `succeeded on attempt ${attempts}`;
  });
  const options: Pick<WithRetriesOptions, "sleep" | "now" | "classify" | "what"> = {
    what: "the test operation",
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    classify: (error): Classification | undefined =>
      error instanceof Failure && error.concern !== "fatal" ? { concern: error.concern, retryAfterMs: error.retryAfterMs } : undefined,
  };
  return { operation, options, sleeps };
}

const transient = (n: number) => Array.from({ length: n }, () => new Failure("transient"));
const propagation = (n: number) => Array.from({ length: n }, () => new Failure("propagation"));
const TEN_MINUTES = 10 * 60 * 1000;

describe("withRetries", () => {
  it("waits 2 s, 4 s, 8 s, 16 s, then 30 s between attempts and reports each wait with its concern", async () => {
    const { operation, options, sleeps } = harness(transient(6));
    const onRetry = vi.fn();

    await expect(withRetries(operation, { ...options, policies: { transient: { budgetMs: TEN_MINUTES } }, onRetry })).resolves.toBe("succeeded on attempt 7");

    expect(sleeps).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    expect(onRetry.mock.calls.map(([info]) => [info.attempt, info.delayMs, info.concern])).toEqual([
      [1, 2000, "transient"],
      [2, 4000, "transient"],
      [3, 8000, "transient"],
      [4, 16000, "transient"],
      [5, 30000, "transient"],
      [6, 30000, "transient"],
    ]);
  });

  it("returns the first success without waiting", async () => {
    const { operation, options, sleeps } = harness([]);
    await expect(withRetries(operation, { ...options, policies: { transient: { budgetMs: TEN_MINUTES } } })).resolves.toBe("succeeded on attempt 1");
    expect(sleeps).toEqual([]);
  });

  it("keeps waiting while the next wait ends exactly at the budget, and throws the last error once it would not", async () => {
    const fits = harness(transient(3));
    await expect(withRetries(fits.operation, { ...fits.options, policies: { transient: { budgetMs: 2000 + 4000 + 8000 } } })).resolves.toBe("succeeded on attempt 4");
    expect(fits.sleeps).toEqual([2000, 4000, 8000]);

    const over = harness(transient(100));
    await expect(withRetries(over.operation, { ...over.options, policies: { transient: { budgetMs: 2000 + 4000 + 8000 - 1 } } })).rejects.toThrow("transient failure");
    expect(over.sleeps).toEqual([2000, 4000]);
    expect(over.operation).toHaveBeenCalledTimes(3);
  });

  it("keeps separate budgets: transient waits do not use up the 403-propagation budget, and the reverse", async () => {
    const { operation, options, sleeps } = harness([...propagation(2), ...transient(2), new Failure("propagation")]);

    await expect(
      withRetries(operation, { ...options, policies: { transient: { budgetMs: 6000 }, propagation: { budgetMs: 2000 + 4000 + 8000 } } }),
    ).resolves.toBe("succeeded on attempt 6");

    // Each concern has its own backoff sequence and its own budget.
    expect(sleeps).toEqual([2000, 4000, 2000, 4000, 8000]);
  });

  it("does not retry a concern without a policy (status's --access-wait 0 still retries throttling)", async () => {
    const noWait = harness(propagation(1));
    await expect(withRetries(noWait.operation, { ...noWait.options, policies: { transient: { budgetMs: TEN_MINUTES }, propagation: { budgetMs: 0 } } })).rejects.toThrow("propagation failure");
    expect(noWait.sleeps).toEqual([]);

    const throttled = harness(transient(1));
    await expect(withRetries(throttled.operation, { ...throttled.options, policies: { transient: { budgetMs: TEN_MINUTES }, propagation: { budgetMs: 0 } } })).resolves.toBe("succeeded on attempt 2");
  });

  it("throws an error the classifier does not know at once, without waiting or calling onRetry", async () => {
    const { operation, options, sleeps } = harness([new Failure("fatal")]);
    const onRetry = vi.fn();
    await expect(withRetries(operation, { ...options, policies: { transient: { budgetMs: TEN_MINUTES } }, onRetry })).rejects.toThrow("fatal failure");
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it("honours a Retry-After that fits the budget instead of its own delay", async () => {
    const { operation, options, sleeps } = harness([new Failure("transient", 7000)]);
    await expect(withRetries(operation, { ...options, policies: { transient: { budgetMs: 30_000 } } })).resolves.toBe("succeeded on attempt 2");
    expect(sleeps).toEqual([7000]);
  });

  it("fails at once with RetryAfterTooLongError when a Retry-After asks for more than is left of the budget", async () => {
    const { operation, options, sleeps } = harness([...transient(1), new Failure("transient", 3_600_000)]);
    const error = await withRetries(operation, { ...options, policies: { transient: { budgetMs: 30_000 } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryAfterTooLongError);
    expect(error).toMatchObject({ retryAfterMs: 3_600_000, leftMs: 28_000 });
    expect((error as Error).message).toBe("the service asked to wait 3600 s (Retry-After), more than the 28 s left to wait");
    expect(sleeps).toEqual([2000]);
  });

  it("honours a Retry-After longer than the budget while the command's deadline allows it", async () => {
    let clock = 0;
    const deadline = new Deadline(120_000, () => clock);
    const sleeps: number[] = [];
    const failures = [new Failure("transient", 41_000)];
    const operation = vi.fn(async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return "answered";
    });
    const result = await withRetries(operation, {
      what: "x",
      deadline,
      classify: (e) => (e instanceof Failure && e.concern !== "fatal" ? { concern: e.concern, retryAfterMs: e.retryAfterMs } : undefined),
      policies: { transient: { budgetMs: 30_000 } },
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    deadline.dispose();
    expect(result).toBe("answered");
    expect(sleeps).toEqual([41_000]);
  });

  it("reports the server's own Retry-After when it ends after the command's deadline", async () => {
    const clock = 0;
    const deadline = new Deadline(120_000, () => clock);
    const error = await withRetries(() => Promise.reject(new Failure("transient", 315_000)), {
      what: "x",
      deadline,
      classify: (e) => ({ concern: "transient", retryAfterMs: (e as Failure).retryAfterMs }),
      policies: { transient: { budgetMs: 30_000 } },
      now: () => clock,
      sleep: async () => undefined,
    }).catch((e: unknown) => e);
    deadline.dispose();
    expect(error).toBeInstanceOf(RetryAfterTooLongError);
    expect(error).toMatchObject({ retryAfterMs: 315_000, leftMs: 120_000, limit: "deadline" });
    expect((error as Error).message).toBe("the service asked to wait 315 s (Retry-After), more than the 120 s left before the command's deadline (--timeout)");
  });

  it("uses the configured initial and largest delays", async () => {
    const { operation, options, sleeps } = harness(transient(4));
    await withRetries(operation, { ...options, policies: { transient: { budgetMs: TEN_MINUTES, initialDelayMs: 100, maxDelayMs: 500 } } });
    expect(sleeps).toEqual([100, 200, 400, 500]);
  });

  it("counts the time the attempts themselves take against nothing but the deadline", async () => {
    const { operation, options, sleeps } = harness(transient(2), 5000);
    await expect(withRetries(operation, { ...options, policies: { transient: { budgetMs: 6000 } } })).resolves.toBe("succeeded on attempt 3");
    expect(sleeps).toEqual([2000, 4000]);
  });

  it("starts no wait that would end after the deadline", async () => {
    let clock = 0;
    const deadline = new Deadline(5000, () => clock);
    const sleeps: number[] = [];
    const operation = vi.fn(() => Promise.reject(new Failure("transient")));
    const error = await withRetries(operation, {
      what: "x",
      deadline,
      classify: () => ({ concern: "transient" }),
      policies: { transient: { budgetMs: TEN_MINUTES } },
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    }).catch((e: unknown) => e);
    deadline.dispose();
    expect(error).toBeInstanceOf(Failure);
    expect(sleeps).toEqual([2000]);
    expect(operation).toHaveBeenCalledTimes(2);
  });

  it("gives each attempt a signal that aborts with a TimeoutError naming what timed out, and retries that as transient", async () => {
    const reasons: unknown[] = [];
    let attempts = 0;
    const operation = (signal: AbortSignal) =>
      new Promise<string>((resolve, reject) => {
        attempts += 1;
        if (attempts === 2) return resolve("answered");
        signal.addEventListener("abort", () => {
          reasons.push(signal.reason);
          reject(new Error("The operation was aborted."));
        });
      });

    const result = await withRetries(operation, {
      what: "Key Vault kv.example (reading secret \"s\")",
      requestTimeoutMs: 20,
      classify: (error) => (isTransientNetworkError(error) ? { concern: "transient" } : undefined),
      policies: { transient: { budgetMs: 10, initialDelayMs: 1 } },
    });

    expect(result).toBe("answered");
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TimeoutError);
    expect(reasons[0]).toMatchObject({ kind: "request", what: 'Key Vault kv.example (reading secret "s")', reason: "no answer within 1 s" });
  });

  it("throws the cancellation reason when the deadline is cancelled (SIGTERM), not the aborted request's error", async () => {
    const deadline = new Deadline(60_000);
    const operation = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(new Error("The operation was aborted.")));
        deadline.cancel(new CancelledError("SIGTERM"));
      });

    const error = await withRetries(operation, { what: "x", deadline, classify: () => ({ concern: "transient" }), policies: { transient: { budgetMs: TEN_MINUTES } } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe("cancelled by SIGTERM");
  });
});

describe("the transient classification", () => {
  it("counts 408, 429 and 5xx as transient, and nothing else", () => {
    expect([408, 429, 500, 502, 503, 504, 599].map(isTransientStatus)).toEqual([true, true, true, true, true, true, true]);
    expect([undefined, 200, 400, 401, 403, 404, 409].map(isTransientStatus)).toEqual([false, false, false, false, false, false, false]);
  });

  it("counts a reset connection and an attempt timeout as transient, but not a refused connection, an unknown host or the deadline", () => {
    const withCode = (code: string) => Object.assign(new Error(code), { code });
    expect(isTransientNetworkError(withCode("ECONNRESET"))).toBe(true);
    expect(isTransientNetworkError(new Error("wrapped", { cause: withCode("UND_ERR_SOCKET") }))).toBe(true);
    expect(isTransientNetworkError(new Error("socket hang up"))).toBe(true);
    expect(isTransientNetworkError(new TimeoutError("no answer within 30 s", "request"))).toBe(true);
    expect(isTransientNetworkError(new TimeoutError("the command's deadline of 60 s passed", "deadline"))).toBe(false);
    expect(isTransientNetworkError(withCode("ECONNREFUSED"))).toBe(false);
    expect(isTransientNetworkError(withCode("ENOTFOUND"))).toBe(false);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores what is absent or unreadable", () => {
    const now = () => Date.parse("2026-11-30T12:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Mon, 30 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 30 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  it("doubles from the initial delay and caps at the largest delay", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((attempt) => backoffDelay(attempt))).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(3, 50, 120)).toBe(120);
  });
});

describe("Deadline.withSignal", () => {
  it("is the deadline itself without a signal", () => {
    const deadline = new Deadline(60_000);
    expect(deadline.withSignal(undefined)).toBe(deadline);
    deadline.dispose();
  });

  it("aborts with the signal's reason, leaving the deadline it came from running", () => {
    const deadline = new Deadline(60_000);
    const caller = new AbortController();
    const linked = deadline.withSignal(caller.signal);
    const reason = new Error("the caller gave up");

    caller.abort(reason);

    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe(reason);
    expect(deadline.signal.aborted).toBe(false);
    linked.dispose();
    deadline.dispose();
  });

  it("aborts with the deadline's reason and ends when it ends", () => {
    let clock = 1_000;
    const deadline = new Deadline(5000, () => clock);
    clock += 2000;
    const linked = deadline.withSignal(new AbortController().signal);
    expect(linked.remainingMs()).toBe(3000);

    const cancelled = new CancelledError("SIGTERM");
    deadline.cancel(cancelled);

    expect(linked.signal.reason).toBe(cancelled);
    linked.dispose();
  });

  it("stops listening to the signal once disposed of", () => {
    const deadline = new Deadline(60_000);
    const caller = new AbortController();
    const linked = deadline.withSignal(caller.signal);
    linked.dispose();

    caller.abort(new Error("late"));

    expect(linked.signal.aborted).toBe(false);
    deadline.dispose();
  });
});
