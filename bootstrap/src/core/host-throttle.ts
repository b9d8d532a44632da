/**
 * One throttle per host for a whole run over many customers. Microsoft Graph
 * counts requests per app across every tenant, so a 429 with `Retry-After` from
 * one customer means every worker talking to that host must wait, not only the
 * one that got it (Microsoft Graph throttling guidance: "Retry-After … the
 * throttling limits are evaluated per app across all tenants"). The API client
 * asks {@link HostThrottle.wait} before each request and reports each 429 with
 * {@link HostThrottle.pause}.
 */
import { abortError } from "./error-catalogue";
import { TimeoutError, type Deadline } from "./retry";

/** Options of {@link HostThrottle}. */
export interface HostThrottleOptions {
  /** Told when a host starts a new pause (not when a pause is merely extended by a later 429 inside it). */
  onPause?: (host: string, ms: number) => void;
  /** Injectable clock. */
  now?: () => number;
}

/** Shared pauses per host (lowercased `host[:port]`). */
export class HostThrottle {
  private readonly until = new Map<string, number>();
  private readonly now: () => number;
  private readonly onPause?: (host: string, ms: number) => void;
  /** How many pauses were started, per host: a 429 while that host is already paused extends the pause without counting. */
  readonly pauses = new Map<string, number>();

  constructor(options: HostThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.onPause = options.onPause;
  }

  /** Every request to `host` waits `ms` from now (a longer pause already running is kept). */
  pause(host: string, ms: number): void {
    const key = host.toLowerCase();
    const now = this.now();
    const current = this.until.get(key) ?? 0;
    const end = now + Math.max(0, ms);
    if (end <= current) return;
    this.until.set(key, end);
    if (current <= now) {
      this.pauses.set(key, (this.pauses.get(key) ?? 0) + 1);
      this.onPause?.(key, ms);
    }
  }

  /** How long requests to `host` must still wait (ms); 0 when they may go. */
  remainingMs(host: string): number {
    return Math.max(0, (this.until.get(host.toLowerCase()) ?? 0) - this.now());
  }

  /**
   * {@link wait} bounded by a command's deadline and a caller's signal: rejects
   * with the SamError for why it stopped waiting (`token_timeout`-like deadline
   * errors stay TimeoutErrors, a cancel becomes `cancelled`).
   */
  async waitWithin(host: string, deadline: Deadline, callerSignal: AbortSignal | undefined): Promise<void> {
    const linked = deadline.withSignal(callerSignal);
    try {
      await this.wait(host, linked.signal);
    } catch (reason) {
      throw callerSignal?.aborted ? abortError(callerSignal.reason) : reason instanceof TimeoutError ? reason : abortError(reason);
    } finally {
      if (linked !== deadline) linked.dispose();
    }
  }

  /**
   * Resolves once `host` is not paused (at once when it is not). Rejects with the
   * signal's reason when it aborts first, so a deadline or Ctrl-C ends the wait.
   */
  async wait(host: string, signal?: AbortSignal): Promise<void> {
    for (let left = this.remainingMs(host); left > 0; left = this.remainingMs(host)) {
      await sleep(left, signal);
    }
  }
}

/** Thrown inside a request's retry loop when its host is paused: the loop waits `retryAfterMs`, then tries. */
export class HostPaused extends Error {
  constructor(
    readonly host: string,
    readonly retryAfterMs: number,
  ) {
    super(`${host} is paused for ${Math.ceil(retryAfterMs / 1000)} s after an HTTP 429 with Retry-After`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
