import { AsyncLocalStorage } from "node:async_hooks";
import type { AuthError, INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { msalNode } from "./msal-sdk";
import { sendHttp, transportCode } from "../core/http-client";
import { DEFAULT_REQUEST_TIMEOUT_MS, Deadline, TimeoutError } from "../core/retry";

/** Options for {@link TimeoutNetworkClient}. */
export interface TimeoutNetworkClientOptions {
  /** Timeout of one request to Entra ID (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** The command's deadline; no request outlives it. */
  deadline?: Deadline;
  /**
   * Told about every request that failed without an answer. msal replaces some of
   * these errors with its own (e.g. `endpoints_resolution_error` when the
   * metadata request hung), so a caller can still say what really happened.
   */
  onNetworkError?: (error: AuthError) => void;
  /**
   * Told about every GET (OpenID metadata) that Entra ID answered with an error. msal-node turns such an answer
   * into its own `endpoints_resolution_error` and drops Entra's body — for an unknown tenant, `invalid_tenant`
   * AADSTS90002 — so a caller can still say what Entra said.
   */
  onErrorAnswer?: (url: string, status: number, body: unknown) => void;
}

/** The caller's signal for the Entra ID requests made inside {@link withEntraSignal}. */
const callerSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` so that every Entra ID request it makes through a
 * {@link TimeoutNetworkClient} is also aborted by `signal`. msal-node's calls take
 * no signal, so it travels with the async context instead of through msal.
 */
export function withEntraSignal<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  return signal ? callerSignal.run(signal, work) : work();
}

/**
 * msal-node's network module with a timeout on every request. msal's own
 * client sets none on POST, so a token endpoint that accepts the connection and
 * never answers would hold a command forever. It does not retry (see retry.ts):
 * an authorization code is single-use, so a token request is sent once.
 */
export class TimeoutNetworkClient implements INetworkModule {
  private readonly requestTimeoutMs: number;
  private readonly deadline: Deadline;
  private readonly onNetworkError: (error: AuthError) => void;
  private readonly onErrorAnswer: (url: string, status: number, body: unknown) => void;

  constructor(options: TimeoutNetworkClientOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.deadline = options.deadline ?? Deadline.none();
    this.onNetworkError = options.onNetworkError ?? (() => undefined);
    this.onErrorAnswer = options.onErrorAnswer ?? (() => undefined);
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>("GET", url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>("POST", url, options);
  }

  private async send<T>(method: "GET" | "POST", url: string, options: NetworkRequestOptions = {}, timeout?: number): Promise<NetworkResponse<T>> {
    try {
      return await this.sendOnce<T>(method, url, options, timeout);
    } catch (error) {
      if (error instanceof msalNode().AuthError) this.onNetworkError(error);
      throw error;
    }
  }

  private async sendOnce<T>(method: "GET" | "POST", url: string, options: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const { AuthError } = msalNode();
    const { origin, pathname } = new URL(url);
    const what = `Entra ID ${origin} (${method} ${pathname})`;
    const request = this.deadline.requestSignal(Math.min(timeout ?? Infinity, this.requestTimeoutMs), what);
    const caller = callerSignal.getStore();
    const signal = caller ? AbortSignal.any([request.signal, caller]) : request.signal;
    try {
      const response = await sendHttp({ url, method, headers: options.headers, body: method === "POST" ? (options.body ?? "") : undefined, signal });
      let body: T;
      try {
        body = JSON.parse(response.text) as T;
      } catch {
        throw new AuthError("network_error", "", `${what} answered HTTP ${response.status} with a body that is not JSON.`);
      }
      if (method === "GET" && response.status >= 400) this.onErrorAnswer(url, response.status, body);
      return { headers: response.headers, body, status: response.status };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (caller?.aborted) throw new AuthError("network_error", "", `${what}: the caller gave up on the request.`);
      const reason: unknown = request.signal.aborted ? request.signal.reason : error;
      if (reason instanceof TimeoutError) throw new AuthError("network_error", "", `${reason.what ? reason.message : `${what}: ${reason.reason}`}.`);
      // Keeps the cause, so a name that does not resolve or an untrusted certificate gets its own fix.
      throw Object.assign(new AuthError("network_error", "", `${what} could not be reached: ${transportCode(error) ?? (error as Error).message.replace(/\.$/, "")}.`), { cause: error, url: origin });
    } finally {
      request.done();
    }
  }
}
