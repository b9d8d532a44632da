/**
 * Delivers one message to every target: each POST has a timeout, a failed
 * attempt is retried exactly once, and the outcome is reported per target —
 * never thrown, so a notification can never change a command's result. Errors
 * name the target by scheme and host only and never quote the URL.
 */
import type { NotifyMessage } from "./message";
import { requestFor } from "./payloads";
import type { NotifyTarget } from "./targets";

/** One target's outcome (`target` is the printable label: scheme and host). */
export interface DeliveryResult {
  target: string;
  ok: boolean;
  /** Why it failed, after the last attempt; null when it was delivered. */
  error: string | null;
}

/** Options of {@link deliver}. */
export interface DeliverOptions {
  /** HMAC key for the generic JSON targets' signature header. */
  secret?: string;
  /** Timeout of each attempt (ms); default 10 000. */
  timeoutMs?: number;
  /** Pause before the one retry (ms); default 1 000. */
  retryDelayMs?: number;
  /** Stops waiting (e.g. on SIGTERM): pending attempts are aborted and reported as failed. */
  signal?: AbortSignal;
}

/** The default timeout of one delivery attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Attempts per target: the first and exactly one retry. */
export const DELIVERY_ATTEMPTS = 2;

/** Sends `message` to every target in parallel; resolves with one result per target, in order. */
export async function deliver(targets: readonly NotifyTarget[], message: NotifyMessage, options: DeliverOptions = {}): Promise<DeliveryResult[]> {
  return Promise.all(targets.map((target) => deliverOne(target, message, options)));
}

async function deliverOne(target: NotifyTarget, message: NotifyMessage, options: DeliverOptions): Promise<DeliveryResult> {
  const { body, headers } = requestFor(target.kind, message, options.secret);
  let error = "not attempted";
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    if (options.signal?.aborted) return { target: target.label, ok: false, error: "cancelled" };
    const outcome = await post(target.url, body, headers, options.timeoutMs ?? DELIVERY_TIMEOUT_MS, options.signal);
    if (outcome.ok) return { target: target.label, ok: true, error: null };
    error = `${outcome.error}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`;
    if (!outcome.retry || attempt === DELIVERY_ATTEMPTS) break;
    await pause(options.retryDelayMs ?? 1000, options.signal);
  }
  return { target: target.label, ok: false, error };
}

type Attempt = { ok: true } | { ok: false; error: string; retry: boolean };

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { method: "POST", body, headers: { ...headers, "user-agent": "partner-center-sam" }, signal: combined, redirect: "error" });
    // The body is not needed; reading it frees the connection. Its text is never shown (it may echo the URL).
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true };
    const retry = response.status >= 500 || response.status === 408 || response.status === 429;
    return { ok: false, error: `the receiver answered HTTP ${response.status}`, retry };
  } catch (error) {
    if (timeout.aborted) return { ok: false, error: `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`, retry: true };
    if (signal?.aborted) return { ok: false, error: "cancelled", retry: false };
    return { ok: false, error: networkError(error), retry: true };
  }
}

/** A network failure in words, from its error code only (fetch's messages can quote the address). */
function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    UND_ERR_SOCKET: "connection closed",
  };
  if (code && known[code]) return `${known[code]} (${code})`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return `TLS certificate not trusted (${code})`;
  return code ? `network error (${code})` : "network error";
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
