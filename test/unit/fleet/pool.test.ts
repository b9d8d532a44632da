/**
 * The fan-out scheduler: at most `concurrency` items in flight, each outcome
 * yielded as it completes, a stop after `maxFailures`, and a cancel that keeps
 * what completed and throws the cancel.
 */
import { describe, expect, it } from "vitest";
import { checkConcurrency, runPool, type PoolOutcome } from "../../../bootstrap/src/fleet/pool";
import { CancelledError } from "../../../bootstrap/src/core/retry";
import { SamError } from "../../../bootstrap/src/core/errors";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<I, T>(gen: AsyncGenerator<PoolOutcome<I, T>, unknown>): Promise<{ outcomes: Array<PoolOutcome<I, T>>; summary: unknown }> {
  const outcomes: Array<PoolOutcome<I, T>> = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { outcomes, summary: next.value };
    outcomes.push(next.value);
  }
}

describe("runPool", () => {
  it("never has more than `concurrency` items in flight and runs every item once", async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 40 }, (_, i) => i);
    const { outcomes, summary } = await collect(
      runPool(
        items,
        async (i) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await sleep(1 + (i % 3));
          inFlight--;
          return i * 2;
        },
        { concurrency: 5 },
      ),
    );
    expect(peak).toBe(5);
    expect(outcomes.map((o) => o.item).sort((a, b) => a - b)).toEqual(items);
    expect(summary).toEqual({ total: 40, completed: 40, failed: 0, notStarted: 0, stoppedAfterFailures: false });
  });

  it("yields each outcome as it completes, not in input order", async () => {
    const { outcomes } = await collect(runPool([30, 1, 10], async (ms) => (await sleep(ms), ms), { concurrency: 3 }));
    expect(outcomes.map((o) => o.item)).toEqual([1, 10, 30]);
  });

  it("stops starting new items after maxFailures failed ones, and says how many were not started", async () => {
    const { outcomes, summary } = await collect(runPool(Array.from({ length: 10 }, (_, i) => i), async () => Promise.reject(new Error("no")), { concurrency: 1, maxFailures: 3 }));
    expect(outcomes).toHaveLength(3);
    expect(summary).toMatchObject({ failed: 3, notStarted: 7, stoppedAfterFailures: true });
  });

  it("on a cancel keeps the outcomes that completed and throws the cancel (exit 130 for SIGINT)", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const gen = runPool(
      Array.from({ length: 20 }, (_, i) => i),
      (i) =>
        new Promise<number>((resolve, reject) => {
          if (i < 2) return resolve(i);
          controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
        }),
      { concurrency: 4, signal: controller.signal },
    );
    const error = await (async () => {
      try {
        for await (const o of gen) {
          seen.push(o.item);
          if (seen.length === 2) controller.abort(new CancelledError("SIGINT"));
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(seen).toEqual([0, 1]);
    expect(error).toBeInstanceOf(SamError);
    expect((error as SamError & { signalExitCode?: number }).signalExitCode).toBe(130);
  });

  it.each([0, 65, 1.5])("refuses concurrency %s", (value) => {
    expect(() => checkConcurrency(value)).toThrow("concurrency must be an integer from 1 to 64");
  });
});
