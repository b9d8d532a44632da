/**
 * Retry in one place: the calls of every command and of the token provider go
 * through {@link withRetries}, and nothing wraps a client that retries by itself.
 *
 * Where each service stands
 * - Key Vault (vault-store.ts): the SecretClient pipeline is built with
 *   `maxRetries: 0` ({@link NO_SDK_RETRIES}); every operation runs in `withRetries`
 *   with both policies below. Its own pipeline would retry 429 only when a
 *   `Retry-After` is present, which real Key Vault 429s often lack.
 * - Partner Center (partner-center.ts): plain `fetch` in `withRetries`, transient policy only.
 * - Entra ID (msal-network.ts): a timeout on every request, no retries — an
 *   authorization code is single-use, and msal-node itself does not retry.
 * - The Azure credential (azure-credential.ts): each `getToken` has a timeout and
 *   is not retried here; @azure/identity manages its own endpoints (e.g. the IMDS probe).
 *
 * Budget rules
 * - Two concerns, one policy each, with separate budgets:
 *   - `transient`: 408, 429 (with or without `Retry-After`), 5xx, a connection
 *     reset and an attempt that timed out. Budget: {@link DEFAULT_TRANSIENT_BUDGET_MS}
 *     of waiting unless the caller says otherwise.
 *   - `propagation`: a Key Vault 403 that may be a new role assignment still
 *     propagating (inner code `ForbiddenByRbac`, or none). Budget: `--access-wait`.
 *   Anything else (firewall, disabled or deleted secret, 401, 404, refused
 *   connection, unknown host) is not retried.
 * - The waits of one concern count only against that concern's budget; a wait is
 *   started only if it ends within that budget.
 * - Delays double from `initialDelayMs` (2 s) up to `maxDelayMs` (30 s). A
 *   `Retry-After` replaces the computed delay; if it asks for more than is left
 *   of the budget (or of the deadline) the call fails at once, saying so.
 * - Everything runs inside the command's {@link Deadline}: each attempt gets an
 *   AbortSignal that fires after the per-request timeout or at the deadline,
 *   whichever is first, and no wait is started that would end after the deadline.
 */

/** The two reasons to try again. */
export type RetryConcern = "transient" | "propagation";

/** How one concern is retried. */
export interface RetryPolicy {
  /** Total time that may be spent waiting for this concern (ms). */
  budgetMs: number;
  /** Delay before the first retry (ms). Default 2000. */
  initialDelayMs?: number;
  /** Largest delay between attempts (ms). Default 30000. */
  maxDelayMs?: number;
}

/** Default waiting budget for transient failures (ms). */
export const DEFAULT_TRANSIENT_BUDGET_MS = 30_000;
/** Default timeout of one network request (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Retry options for Azure SDK clients: the SDK must not retry, {@link withRetries} does. */
export const NO_SDK_RETRIES = Object.freeze({ maxRetries: 0 });

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** The delay before retry number `attempt` (1-based): 2 s, 4 s, 8 s … capped. */
export function backoffDelay(attempt: number, initialDelayMs = 2000, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
}

/** Thrown (as the abort reason) when an attempt or the whole command ran out of time. */
export class TimeoutError extends Error {
  constructor(
    /** Why, without the subject, e.g. "no answer within 30 s". */
    readonly reason: string,
    /** `request`: one attempt took too long; `deadline`: the command's overall deadline passed. */
    readonly kind: "request" | "deadline",
    /** What was being done, e.g. `Key Vault kv.vault.azure.net (reading secret "x")`. */
    readonly what?: string,
  ) {
    super(what ? `${what}: ${reason}` : reason);
    this.name = "TimeoutError";
  }
}

/** The abort reason when a command is cancelled by a signal (SIGTERM, SIGINT). */
export class CancelledError extends Error {
  constructor(readonly signalName: string) {
    super(`cancelled by ${signalName}`);
    this.name = "CancelledError";
  }
}

/**
 * A command's overall deadline. `signal` aborts when it passes (or when
 * {@link Deadline.cancel} is called, e.g. on SIGTERM); {@link Deadline.requestSignal}
 * gives one attempt its own, shorter timeout.
 */
export class Deadline {
  readonly totalMs: number;
  private readonly controller = new AbortController();
  private readonly endsAt: number;
  private readonly timer?: NodeJS.Timeout;
  private readonly now: () => number;

  /** `endsAt` (ms since epoch) is for {@link Deadline.withSignal}: a deadline that ends with another. */
  constructor(totalMs: number, now: () => number = Date.now, endsAt?: number) {
    this.totalMs = totalMs;
    this.now = now;
    this.endsAt = endsAt ?? now() + totalMs;
    if (Number.isFinite(this.endsAt)) {
      this.timer = setTimeout(() => this.cancel(new TimeoutError(this.deadlineReason(), "deadline")), Math.max(0, this.endsAt - now()));
      this.timer.unref();
    }
  }

  /**
   * This deadline, also cancelled by `signal` with the signal's reason: one
   * caller's work under a longer-lived deadline. Without a signal, this deadline
   * itself. Call `dispose()` on the result when the work is done.
   */
  withSignal(signal: AbortSignal | undefined): Deadline {
    if (!signal) return this;
    const linked = new Deadline(this.totalMs, this.now, this.endsAt);
    const fromParent = () => linked.cancel(this.signal.reason as Error);
    const fromSignal = () => linked.cancel(signal.reason as Error);
    if (this.signal.aborted) fromParent();
    else if (signal.aborted) fromSignal();
    else {
      this.signal.addEventListener("abort", fromParent, { once: true });
      signal.addEventListener("abort", fromSignal, { once: true });
      linked.unlink = () => {
        this.signal.removeEventListener("abort", fromParent);
        signal.removeEventListener("abort", fromSignal);
      };
    }
    return linked;
  }

  private unlink?: () => void;

  /** A deadline that never passes (for library callers that set none). */
  static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY);
  }

  /** Aborts when the deadline passes or the command is cancelled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Time left (ms), never negative. */
  remainingMs(): number {
    return Math.max(0, this.endsAt - this.now());
  }

  private deadlineReason(): string {
    return `the command's deadline of ${Math.round(this.totalMs / 1000)} s passed`;
  }

  /** Aborts everything still running under this deadline. */
  cancel(reason: Error): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops the timer once the command is done. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.unlink?.();
  }

  /**
   * A signal for one request: aborts after `timeoutMs` (with a TimeoutError naming
   * `what`) or when this deadline does. Call `done()` when the request settled.
   */
  requestSignal(timeoutMs: number, what: string): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    const onAbort = () => {
      const why: unknown = this.controller.signal.reason;
      controller.abort(why instanceof TimeoutError && !why.what ? new TimeoutError(why.reason, why.kind, what) : why);
    };
    if (this.controller.signal.aborted) onAbort();
    else this.controller.signal.addEventListener("abort", onAbort, { once: true });
    const remaining = this.remainingMs();
    const limit = Math.min(timeoutMs, remaining);
    // When the deadline comes first, say so: that is the limit the user can change (--timeout).
    const reason = remaining <= timeoutMs ? new TimeoutError(`no answer before ${this.deadlineReason()}`, "deadline", what) : new TimeoutError(`no answer within ${Math.max(1, Math.round(limit / 1000))} s`, "request", what);
    const timer = Number.isFinite(limit) ? setTimeout(() => controller.abort(reason), limit) : undefined;
    timer?.unref();
    return {
      signal: controller.signal,
      done: () => {
        if (timer) clearTimeout(timer);
        this.controller.signal.removeEventListener("abort", onAbort);
      },
    };
  }
}

/** What a classifier says about one failure. */
export interface Classification {
  concern: RetryConcern;
  /** The server's Retry-After, in ms, when it sent one. */
  retryAfterMs?: number;
}

/** Options for {@link withRetries}. */
export interface WithRetriesOptions {
  /** What is being done, e.g. `reading secret "x" from https://kv…/`; used in timeout messages. */
  what: string;
  /** Which concern a failure belongs to, or undefined if it must not be retried. */
  classify: (error: unknown) => Classification | undefined;
  /** Policies per concern; a concern without one is not retried. */
  policies: Partial<Record<RetryConcern, RetryPolicy>>;
  /** The command's deadline. Default: none. */
  deadline?: Deadline;
  /** Timeout of one attempt (ms). Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** Told before each wait, so the caller can say why it waits. */
  onRetry?: (info: { attempt: number; delayMs: number; concern: RetryConcern; error: unknown }) => void;
  /** Injectable for tests of the schedule itself. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * Thrown when a server's Retry-After asks for longer than is left to wait: before the command's deadline, or —
 * without one — of the retry budget. The message reports the server's own value.
 */
export class RetryAfterTooLongError extends Error {
  constructor(
    readonly retryAfterMs: number,
    readonly leftMs: number,
    override readonly cause: unknown,
    /** What ran out: the command's deadline, or (without a deadline) the retry budget. */
    readonly limit: "deadline" | "budget" = "budget",
  ) {
    super(
      `the service asked to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After), more than the ${Math.floor(leftMs / 1000)} s left ${limit === "deadline" ? "before the command's deadline (--timeout)" : "to wait"}`,
    );
    this.name = "RetryAfterTooLongError";
  }
}

/**
 * Runs `operation` until it succeeds, fails with an error that is not retried,
 * or the concern's budget or the deadline would be exceeded by the next wait;
 * then throws the last error (a {@link TimeoutError} when an attempt timed out).
 */
export async function withRetries<T>(operation: (signal: AbortSignal) => Promise<T>, options: WithRetriesOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const deadline = options.deadline ?? Deadline.none();
  const waited: Record<RetryConcern, number> = { transient: 0, propagation: 0 };
  const attempts: Record<RetryConcern, number> = { transient: 0, propagation: 0 };
  for (let attempt = 1; ; attempt++) {
    const request = deadline.requestSignal(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, options.what);
    let error: unknown;
    try {
      return await operation(request.signal);
    } catch (caught) {
      // An aborted request surfaces as an AbortError; report why it was aborted instead
      // (a TimeoutError thrown by a part of the request, such as the credential, names that part).
      error = caught instanceof TimeoutError ? caught : request.signal.aborted && request.signal.reason instanceof TimeoutError ? request.signal.reason : caught;
    } finally {
      request.done();
    }
    // The deadline passed or the command was cancelled: say so, not "the operation was aborted".
    if (deadline.signal.aborted) throw error instanceof TimeoutError ? error : request.signal.reason instanceof TimeoutError ? request.signal.reason : deadline.signal.reason;
    const verdict = options.classify(error);
    const policy = verdict && options.policies[verdict.concern];
    if (!verdict || !policy) throw error;
    attempts[verdict.concern] += 1;
    const left = Math.min(policy.budgetMs - waited[verdict.concern], deadline.remainingMs());
    let delayMs = backoffDelay(attempts[verdict.concern], policy.initialDelayMs, policy.maxDelayMs);
    if (verdict.retryAfterMs !== undefined) {
      // The server said how long to wait (a throttled Graph says 41 s, then 315 s): honour it while the command's
      // deadline allows, even past the retry budget; without a deadline the budget is the limit.
      const untilDeadline = deadline.remainingMs();
      const limit = Number.isFinite(untilDeadline) ? "deadline" : "budget";
      const allowed = limit === "deadline" ? untilDeadline : left;
      if (verdict.retryAfterMs > allowed) throw allowed > 0 ? new RetryAfterTooLongError(verdict.retryAfterMs, allowed, error, limit) : error;
      delayMs = verdict.retryAfterMs;
    } else if (delayMs > left) throw error;
    options.onRetry?.({ attempt, delayMs, concern: verdict.concern, error });
    const started = now();
    await sleep(delayMs, deadline.signal);
    waited[verdict.concern] += Math.max(delayMs, now() - started);
  }
}

/** Network error codes that mean the connection broke mid-request (worth another attempt). */
const TRANSIENT_NETWORK_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** HTTP statuses that are transient: the same request may succeed later. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500 && status <= 599);
}

/** A connection reset or an attempt that timed out (not a refused connection or an unknown host). */
export function isTransientNetworkError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TimeoutError) return e.kind === "request";
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_NETWORK_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && /socket hang up|other side closed|ECONNRESET/i.test(message)) return true;
  }
  return false;
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
