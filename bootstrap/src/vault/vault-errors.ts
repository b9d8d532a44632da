/**
 * How Key Vault's answers are read: the service's error body kept whatever SDK
 * path made the call, and the classification the vault's retries and messages
 * are built on (transient, role propagation, firewall, disabled, not found).
 */
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from "@azure/core-rest-pipeline";
import { CREDENTIAL_TIMEOUT_SUBJECT } from "./azure-credential";
import { describeFailure, isUnreadableAnswer } from "../core/terminal";
import { TimeoutError, isTransientNetworkError, isTransientStatus, parseRetryAfter, type Classification } from "../core/retry";

/** A Key Vault error answer with the service's own body, whatever SDK path (paging included) made the call. */
export class VaultServiceError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    /** The service's `error.code`, e.g. `Forbidden`. */
    readonly code: string | undefined,
    /** The parsed body: `{ error: { code, message, innererror? } }`. */
    readonly details: unknown,
    readonly response: { headers: { get(name: string): string | undefined } },
  ) {
    super(message);
    this.name = "VaultServiceError";
  }
}

/**
 * Turns every error answer into a {@link VaultServiceError} carrying the service's
 * body. The SDK's pager drops the body ("Pagination failed with unexpected
 * statusCode 403"), so without this a firewall refusal while listing would look
 * like a role still propagating. Runs per call, after the bearer challenge was answered.
 */
export const serviceErrorPolicy: PipelinePolicy = {
  name: "pcsamServiceErrorPolicy",
  async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
    const response = await next(request);
    if (response.status < 400) return response;
    let details: { error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      details = JSON.parse(response.bodyAsText ?? "") as typeof details;
    } catch {
      details = undefined;
    }
    const code = typeof details?.error?.code === "string" ? details.error.code : undefined;
    const message = typeof details?.error?.message === "string" ? details.error.message : `HTTP ${response.status}`;
    throw new VaultServiceError(message, response.status, code, details, response);
  },
};

/**
 * The vault's retry classification: transient (408, 429, 5xx, resets, attempt
 * timeouts) or propagation (403 ForbiddenByRbac or without an inner code).
 */
export function classifyVaultError(error: unknown): Classification | undefined {
  const status = statusOf(error);
  if (status === 403) {
    const inner = innerCode(error);
    return inner === undefined || inner === "ForbiddenByRbac" ? { concern: "propagation" } : undefined;
  }
  if (isTransientStatus(status)) {
    const header = (error as { response?: { headers?: { get?: (name: string) => string | undefined } } }).response?.headers?.get?.("retry-after");
    return { concern: "transient", retryAfterMs: parseRetryAfter(header) };
  }
  // The credential is not retried here: @azure/identity handles its own endpoints (see retry.ts).
  if (error instanceof TimeoutError && error.what?.startsWith(CREDENTIAL_TIMEOUT_SUBJECT)) return undefined;
  if (status === undefined && !isCredentialError(error) && isTransientNetworkError(error)) return { concern: "transient" };
  // An answer cut off mid-body (the SDK could not parse it): the next attempt may get it whole.
  if (isUnreadableAnswer(error)) return { concern: "transient" };
  return undefined;
}

export function describeTransient(error: unknown): string {
  if (isUnreadableAnswer(error)) return "sent an answer that was cut off";
  const status = statusOf(error);
  if (status === 429) return "is throttling (429)";
  if (status !== undefined) return `answered ${status}`;
  if (error instanceof TimeoutError) return "did not answer in time";
  return "dropped the connection";
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** The service's inner error code (`innererror.code`), in either spelling the SDK may leave it. */
export function innerCode(error: unknown): string | undefined {
  const body = (error as { details?: { error?: { innerError?: { code?: string }; innererror?: { code?: string } } } } | null)?.details?.error;
  const parsed = body?.innerError?.code ?? body?.innererror?.code;
  if (parsed) return parsed;
  // Paged operations (listing) leave the body unparsed: read the service's JSON ourselves.
  const raw = (error as { response?: { bodyAsText?: string | null } } | null)?.response?.bodyAsText;
  if (!raw) return undefined;
  try {
    const code = (JSON.parse(raw) as { error?: { innererror?: { code?: unknown } } }).error?.innererror?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Key Vault answers 403 with inner code SecretDisabled for a disabled version: no role or wait fixes that. */
export function isDisabled(error: unknown): boolean {
  return statusOf(error) === 403 && innerCode(error) === "SecretDisabled";
}

/** The "Client address: x" a firewall 403 names. */
export function clientAddress(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const raw = (error as { response?: { bodyAsText?: string | null } } | null)?.response?.bodyAsText ?? "";
  return /Client address:\s*([0-9A-Fa-f:.]+)/.exec(`${message}\n${raw}`)?.[1];
}

export function isCredentialError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "CredentialUnavailableError" || name === "AuthenticationError" || name === "AggregateAuthenticationError";
}

/**
 * The resource a bearer challenge asked for when it is not this vault's domain:
 * the SDK then refuses to get a token for it (and its message advises turning
 * that check off, which we never repeat). Undefined for any other error.
 */
export function foreignChallengeResource(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  const mismatch = /^The challenge resource '([^']*)' does not match the requested domain/.exec(message);
  if (mismatch) return mismatch[1];
  const invalid = /^The challenge contains invalid scope '([^']*)'/.exec(message);
  return invalid ? invalid[1] : undefined;
}

/** One safe line about `error`: never a response body, nothing secret-shaped (see core/terminal.ts). */
export function firstLine(error: unknown): string {
  return describeFailure(error);
}
