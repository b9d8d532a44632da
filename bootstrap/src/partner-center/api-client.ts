/**
 * The core of `partner-center-sam call` and `TokenProvider.fetch`: one
 * authenticated request to Partner Center, Microsoft Graph or a host the caller
 * names together with a scope, retried as retry.ts describes.
 *
 * Where a token may go (like `az rest`)
 * - A path starting with `/` is relative to the Partner Center endpoint.
 * - An https URL on the Partner Center endpoint's host or on Microsoft Graph gets
 *   the scope of that service; any other host needs an explicit scope, so a
 *   token is never sent to a host nobody named. A next-page link on another
 *   origin than the first request is refused for the same reason.
 */
import { networkProblem, networkProblemError } from "../core/network-problems";
import { nodeCrypto } from "../core/lazy-builtins";
import { partnerCenterScope } from "../core/contract";
import { abortError, catalogError } from "../core/error-catalogue";
import { ExitCode, SamError, ServiceError } from "../core/errors";
import { HostPaused, type HostThrottle } from "../core/host-throttle";
import { terminalSafe } from "../core/terminal";
import {
  DEFAULT_TRANSIENT_BUDGET_MS,
  Deadline,
  RetryAfterTooLongError,
  TimeoutError,
  isTransientNetworkError,
  isTransientStatus,
  parseRetryAfter,
  withRetries,
  type Classification,
} from "../core/retry";
import { trimTrailingSlash } from "../core/validate";
import { nextPage } from "./next-page";

export { nextPage };

/** The Microsoft Graph endpoint of the public cloud. */
export const PUBLIC_GRAPH_ENDPOINT = "https://graph.microsoft.com";
/** Partner Center's error code for an App+User token without MFA. */
export const PARTNER_CENTER_MFA_ERROR = "900421";
/** `--all` stops after this many pages, so a service that loops cannot keep the command forever. */
export const MAX_PAGES = 1000;

/** HTTP methods `call` accepts. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** What the client asks its token source for. */
export interface TokenRequest {
  scopes: string[];
  /** A customer tenant; undefined for the partner's own tenant. */
  tenantId?: string;
  /** True after a 401: a cached token must not be returned again. */
  forceRefresh: boolean;
  /** The request's signal, for the token source to give up with it. */
  signal?: AbortSignal;
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** The Partner Center endpoint, e.g. https://api.partnercenter.microsoft.com. */
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint (another cloud's, e.g. https://graph.microsoft.us). Default: the public cloud's. */
  graphEndpoint?: string;
  /** Resolves to an access token; the only way the client gets one. */
  getToken: (request: TokenRequest) => Promise<string>;
  /** The command's deadline. Default: none. */
  deadline?: Deadline;
  /** Timeout of one request (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** How long to keep retrying 408, 429, 5xx, resets and timeouts (ms). Default 30 s. */
  transientBudgetMs?: number;
  /** Told before each wait, so a command can say why it waits. */
  onRetry?: (message: string) => void;
  /**
   * Shared by every client of a run over many customers: a 429 with Retry-After
   * from one pauses every request to that host until it passes. Default: none
   * (each request honours its own Retry-After only).
   */
  throttle?: HostThrottle;
}

/** One request. */
export interface ApiRequest {
  /** `/v1/customers`, or an https URL. */
  target: string;
  method?: HttpMethod;
  /** A request body (sent as application/json unless `headers` say otherwise). */
  body?: string;
  /** Extra headers; Authorization cannot be set this way. */
  headers?: Record<string, string>;
  /** Scopes for the token; default inferred from the host. */
  scopes?: string[];
  /** A customer tenant to get the token from. */
  tenantId?: string;
  /** The correlation id to send (default: a fresh GUID per call). */
  correlationId?: string;
  /** Gives up: the request, its retries and the token it waits for are aborted, and it rejects with `cancelled` (or the signal's SamError reason). */
  signal?: AbortSignal;
}

/** The last answer to a request, after retries. */
export interface ApiAnswer {
  url: string;
  status: number;
  headers: Headers;
  /** The body as text ("" when there was none). */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  requestId: string;
  correlationId: string;
}

/** Where a request goes and with which token scopes. */
export interface ResolvedTarget {
  url: URL;
  scopes: string[];
  service: "Partner Center" | "Microsoft Graph" | "other";
}

/** A non-2xx answer: the status, the service's error code and description, and the ids to quote to support. */
export class ApiCallError extends ServiceError {
  constructor(
    readonly answer: ApiAnswer,
    readonly method: string,
    readonly serviceCode: string | undefined,
    readonly description: string | undefined,
    note = "",
  ) {
    const where = new URL(answer.url);
    super(
      "api_call_failed",
      `${method} ${where.host}${where.pathname} answered HTTP ${answer.status}${serviceCode ? ` ${serviceCode}` : ""}${description ? `: ${description}` : ""}${note}\n` +
        `  request id ${answer.requestId}, correlation id ${answer.correlationId}${graphIds(answer)}`,
      ExitCode.Failure,
      { hint: hintFor(answer.status) },
    );
  }
}

/**
 * Microsoft Graph's own ids of an answer — its `request-id` and the `client-request-id` it echoes — which Microsoft
 * support asks for (learn.microsoft.com/graph/errors); "" when the answer has none (Partner Center's).
 */
export function graphIds(answer: Pick<ApiAnswer, "headers">): string {
  const safe = (value: string | null) => (value && /^[\w.:-]{1,100}$/.test(value) ? value : undefined);
  const requestId = safe(answer.headers.get("request-id"));
  const clientRequestId = safe(answer.headers.get("client-request-id"));
  if (!requestId && !clientRequestId) return "";
  return `\n  Graph request-id ${requestId ?? "(none)"}, client-request-id ${clientRequestId ?? "(none)"}`;
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return "Check that the signed-in user has the Partner Center role (or, for a customer, the GDAP role) this call needs.";
  if (status === 404) return "Check the path, e.g. `call /v1/customers`.";
  if (isTransientStatus(status)) return "Retry later; quote the request and correlation ids if you contact Microsoft support.";
  return "Fix the request and run it again; quote the request and correlation ids if you contact Microsoft support.";
}

/** The error code and description of a Partner Center (`{ code, description }`) or Graph (`{ error: { code, message } }`) error body. */
export function serviceError(json: unknown): { code?: string; description?: string } {
  if (typeof json !== "object" || json === null) return {};
  const o = json as Record<string, unknown>;
  const inner = typeof o.error === "object" && o.error !== null ? (o.error as Record<string, unknown>) : undefined;
  const code = o.code ?? o.errorName ?? inner?.code;
  const description = o.description ?? o.message ?? inner?.message ?? (typeof o.error === "string" ? o.error_description : undefined);
  const clean = (v: unknown, max: number) => (typeof v === "string" || typeof v === "number" ? terminalSafe(String(v)).slice(0, max) : undefined);
  return { code: clean(code, 100), description: clean(description, 1024) };
}

/** A transient answer, thrown inside the retry loop. */
class TransientAnswer extends Error {
  constructor(
    readonly answer: ApiAnswer,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${answer.status}`);
  }
}

/** Sends authenticated requests; see the module comment for where tokens may go. */
export class ApiClient {
  readonly partnerCenterEndpoint: string;
  readonly graphEndpoint: string;
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.options = options;
    this.partnerCenterEndpoint = trimTrailingSlash(options.partnerCenterEndpoint);
    this.graphEndpoint = trimTrailingSlash(options.graphEndpoint ?? PUBLIC_GRAPH_ENDPOINT);
  }

  /**
   * Where `target` goes and which scopes its token needs. Throws a UsageError
   * (before any request) for a URL that is not https, carries credentials, or is
   * on a host whose scope cannot be inferred when no scope was given.
   */
  resolve(target: string, scopes?: readonly string[]): ResolvedTarget {
    const explicit = scopes && scopes.length > 0 ? [...scopes] : undefined;
    if (target.startsWith("/") && !target.startsWith("//")) {
      return { url: new URL(`${this.partnerCenterEndpoint}${target}`), scopes: explicit ?? [partnerCenterScope(this.partnerCenterEndpoint)], service: "Partner Center" };
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw catalogError("invalid_target", {
        message: `${JSON.stringify(terminalSafe(target).slice(0, 200))} is neither a path starting with / nor an https URL.`,
        hint: "Pass a Partner Center path such as /v1/customers, or an https URL.",
      });
    }
    if (url.protocol !== "https:") {
      throw catalogError("insecure_target", { message: `Refusing to send a token over ${url.protocol.replace(/:$/, "")}: ${url.host} must be called over https.` });
    }
    if (url.username || url.password) {
      throw catalogError("invalid_target", { message: `Refusing a URL with a user name or password in it (${url.host}).`, hint: "Remove the credentials from the URL." });
    }
    const pc = new URL(this.partnerCenterEndpoint);
    const graph = new URL(this.graphEndpoint);
    if (url.origin === pc.origin) return { url, scopes: explicit ?? [partnerCenterScope(this.partnerCenterEndpoint)], service: "Partner Center" };
    if (url.origin === graph.origin) return { url, scopes: explicit ?? [`${graph.origin}/.default`], service: "Microsoft Graph" };
    if (!explicit) {
      throw catalogError("scope_required", {
        message: `Refusing to send a token to ${url.host}: it is neither Partner Center (${pc.host}) nor Microsoft Graph (${graph.host}), so its scope cannot be inferred.`,
        hint: `Pass --scope with the API's scope (e.g. --scope https://${url.host}/.default) if you mean to send this host a token.`,
      });
    }
    return { url, scopes: explicit, service: "other" };
  }

  /**
   * Sends one request and resolves with the last answer (any status) after
   * retrying 408/429/5xx, resets and timeouts, and one retry with a fresh token
   * after a 401. Throws a SignInError (exit 3) for Partner Center's MFA error 900421.
   */
  async send(request: ApiRequest): Promise<ApiAnswer> {
    const resolved = this.resolve(request.target, request.scopes);
    return this.sendTo(resolved, request, request.correlationId ?? nodeCrypto().randomUUID());
  }

  /**
   * Sends a request and resolves with its body (parsed JSON, text, or undefined
   * when empty). Non-2xx answers throw {@link ApiCallError}. With `all`, follows
   * Partner Center's `links.next` (with its MS-ContinuationToken header) and
   * Graph's `@odata.nextLink` to the end and merges the items into the first page.
   */
  async call(request: ApiRequest & { all?: boolean }): Promise<{ body: unknown; answer: ApiAnswer; pages: number }> {
    const resolved = this.resolve(request.target, request.scopes);
    const correlationId = request.correlationId ?? nodeCrypto().randomUUID();
    const method = request.method ?? "GET";
    let answer = await this.sendTo(resolved, request, correlationId);
    if (answer.status < 200 || answer.status > 299) throw failure(answer, method);
    const first = answer.json;
    if (!request.all || typeof first !== "object" || first === null) return { body: first ?? (answer.text === "" ? undefined : answer.text), answer, pages: 1 };
    const merged = { ...(first as Record<string, unknown>) };
    const key = Array.isArray(merged.items) ? "items" : Array.isArray(merged.value) ? "value" : undefined;
    if (!key) return { body: first, answer, pages: 1 };
    const items = [...(merged[key] as unknown[])];
    let pages = 1;
    for (let next = nextPage(first, resolved.url); next; next = nextPage(answer.json, new URL(answer.url))) {
      if (pages >= MAX_PAGES) throw catalogError("too_many_pages", { message: `Stopped after ${MAX_PAGES} pages of ${resolved.url.host}${resolved.url.pathname}: the service kept sending a next page.` });
      const url = new URL(next.url);
      if (url.origin !== resolved.url.origin) {
        throw catalogError("next_page_elsewhere", {
          message: `Refusing to follow the next-page link to ${url.host}: it is not ${resolved.url.host}, which this call was sent to, and a token goes only where you named.`,
          hint: "Call that URL yourself, with --scope if needed, if you trust it.",
        });
      }
      answer = await this.sendTo({ ...resolved, url }, { ...request, method: "GET", body: undefined, headers: { ...request.headers, ...next.headers } }, correlationId);
      if (answer.status < 200 || answer.status > 299) throw failure(answer, "GET", ` (page ${pages + 1})`);
      const page = answer.json as Record<string, unknown> | undefined;
      if (Array.isArray(page?.[key])) items.push(...(page[key] as unknown[]));
      pages++;
    }
    merged[key] = items;
    if (key === "items") {
      if ("totalCount" in merged) merged.totalCount = items.length;
      if (typeof merged.links === "object" && merged.links !== null) {
        const { next: _next, ...links } = merged.links as Record<string, unknown>;
        merged.links = links;
      }
    } else {
      delete merged["@odata.nextLink"];
    }
    return { body: merged, answer, pages };
  }

  private async sendTo(resolved: ResolvedTarget, request: ApiRequest, correlationId: string): Promise<ApiAnswer> {
    const method = request.method ?? "GET";
    // One MS-RequestId per request, kept across its retries: Partner Center uses it for idempotency.
    const requestId = nodeCrypto().randomUUID();
    const url = resolved.url.toString();
    const what = `${resolved.service === "other" ? resolved.url.host : `${resolved.service} ${resolved.url.host}`} (${method} ${resolved.url.pathname})`;
    let forceRefresh = false;
    const throttle = this.options.throttle;
    const host = resolved.url.host;
    for (let attempt = 0; ; attempt++) {
      if (throttle?.remainingMs(host)) await throttle.waitWithin(host, this.options.deadline ?? Deadline.none(), request.signal);
      const answer = await this.withTransientRetries(what, method, request.signal, async (signal) => {
        // Another worker got a 429 from this host since the last look: wait with it (counted as a transient wait).
        const paused = throttle?.remainingMs(host) ?? 0;
        if (paused > 0) throw new HostPaused(host, paused);
        const token = await this.options.getToken({ scopes: resolved.scopes, tenantId: request.tenantId, forceRefresh, signal: request.signal });
        const headers = new Headers(request.headers);
        headers.delete("authorization");
        headers.set("Authorization", `Bearer ${token}`);
        if (!headers.has("accept")) headers.set("Accept", "application/json");
        headers.set("MS-RequestId", requestId);
        headers.set("MS-CorrelationId", correlationId);
        // Graph ignores MS-RequestId; it echoes client-request-id in its answer and error body (learn.microsoft.com/graph/errors).
        if (resolved.service === "Microsoft Graph" && !headers.has("client-request-id")) headers.set("client-request-id", correlationId);
        if (request.body !== undefined && !headers.has("content-type")) headers.set("Content-Type", "application/json");
        const response = await fetch(url, { method, headers, body: request.body, signal, redirect: "manual" });
        const text = await response.text();
        const result: ApiAnswer = { url, status: response.status, headers: response.headers, text, json: parseJson(text), requestId, correlationId };
        if (isTransientStatus(response.status)) {
          const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
          // The server's own value: retry.ts honours it while the deadline allows, and reports it when it cannot.
          // A 429 also pauses every request of the run to this host (the shared throttle, when there is one).
          if (response.status === 429 && retryAfter !== undefined) throttle?.pause(host, retryAfter);
          throw new TransientAnswer(result, retryAfter);
        }
        return result;
      }, resolved.url.hostname);
      if (answer.status === 401) {
        const { code } = serviceError(answer.json);
        if (code === PARTNER_CENTER_MFA_ERROR) {
          throw catalogError("partner_center_mfa_required", {
            message: `Partner Center refused the token: the sign-in stored in Key Vault was not made with MFA (error ${PARTNER_CENTER_MFA_ERROR}).\n  request id ${requestId}, correlation id ${correlationId}`,
            hint: "Run `partner-center-sam bootstrap` again and complete MFA, so the stored refresh token carries the MFA claim.",
          });
        }
        if (attempt === 0) {
          forceRefresh = true;
          this.options.onRetry?.(`${what} answered 401; retrying once with a fresh token.`);
          continue;
        }
      }
      return answer;
    }
  }

  private async withTransientRetries(what: string, method: string, callerSignal: AbortSignal | undefined, operation: (signal: AbortSignal) => Promise<ApiAnswer>, host?: string): Promise<ApiAnswer> {
    const commandDeadline = this.options.deadline ?? Deadline.none();
    const deadline = commandDeadline.withSignal(callerSignal);
    try {
      return await withRetries(operation, {
        what,
        deadline,
        requestTimeoutMs: this.options.requestTimeoutMs,
        policies: { transient: { budgetMs: this.options.transientBudgetMs ?? DEFAULT_TRANSIENT_BUDGET_MS } },
        classify: (error): Classification | undefined => {
          if (error instanceof TransientAnswer || error instanceof HostPaused) return { concern: "transient", retryAfterMs: error.retryAfterMs };
          return isTransientNetworkError(error) ? { concern: "transient" } : undefined;
        },
        onRetry: ({ delayMs, error }) =>
          this.options.onRetry?.(`${what} ${error instanceof TransientAnswer ? `answered HTTP ${error.answer.status}` : error instanceof HostPaused ? "is throttling this app" : "did not answer"}; retrying in ${Math.ceil(delayMs / 1000)} s.`),
      });
    } catch (error) {
      if (callerSignal?.aborted) throw abortError(callerSignal.reason);
      // The transient budget ran out: the last answer is the result (the caller reports it with its ids).
      if (error instanceof TransientAnswer) return error.answer;
      if (error instanceof RetryAfterTooLongError && error.cause instanceof TransientAnswer) {
        const answer = error.cause.answer;
        throw failure(answer, method, `; ${error.message}`);
      }
      // The token source's own errors (consent required, vault unreachable) say what to do already.
      if (error instanceof SamError) throw error;
      const problem = networkProblem(error);
      if (problem) throw networkProblemError(problem, { service: "The API", url: host ?? what, cause: error });
      const detail = error instanceof TimeoutError ? error.message : `${what}: ${((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message) || "no answer"}`;
      throw catalogError("api_unreachable", { message: `Could not reach ${detail}`, cause: error, hint: "Check the network and the URL, then run the command again." });
    } finally {
      if (deadline !== commandDeadline) deadline.dispose();
    }
  }
}

function failure(answer: ApiAnswer, method: string, note = ""): ApiCallError {
  const { code, description } = serviceError(answer.json);
  return new ApiCallError(answer, method, code, description ?? (answer.json === undefined && answer.text ? terminalSafe(answer.text).slice(0, 300) : undefined), note);
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
