/**
 * The process's one HTTP client for requests that are not the vault's: the
 * Azure SDK's own (`@azure/core-rest-pipeline`, which the vault client loads
 * anyway), loaded when first used. Node's `fetch` would load a second HTTP
 * stack (undici, some 17 ms of start-up) for the one or two requests a command
 * makes to Entra ID or Partner Center; this one also reuses its connections.
 * It sends exactly what it is given: no retries, no redirects followed, no
 * logging (retries are retry.ts's job).
 */
import type * as RestPipeline from "@azure/core-rest-pipeline";

/** `@azure/core-rest-pipeline`, loaded on first call. */
export function restPipeline(): typeof RestPipeline {
  // A plain require, so the CLI's bundler sees it (and keeps it lazy); tsc's CommonJS output keeps it as it is.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@azure/core-rest-pipeline") as typeof RestPipeline;
}

let client: RestPipeline.HttpClient | undefined;

/** One request through the shared client. */
export interface HttpRequest {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the request (the caller's timeout or deadline). */
  signal: AbortSignal;
}

/** What came back: the status, the headers (lower-case names) and the body as text. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Sends one request and reads the whole answer. A failure without an answer
 * rejects with the SDK's RestError, whose `code` is Node's (ECONNREFUSED,
 * ENOTFOUND, UNABLE_TO_VERIFY_LEAF_SIGNATURE…), or with an AbortError.
 */
export async function sendHttp(request: HttpRequest): Promise<HttpAnswer> {
  const { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } = restPipeline();
  client ??= createDefaultHttpClient();
  const response = await client.sendRequest(
    createPipelineRequest({ url: request.url, method: request.method, headers: createHttpHeaders(request.headers), body: request.body, abortSignal: request.signal }),
  );
  return { status: response.status, headers: response.headers.toJSON(), text: response.bodyAsText ?? "" };
}

/** Node's code for a request that got no answer (RestError's own, or its cause's), if any. */
export function transportCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code ?? (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === "string" && code !== "REQUEST_SEND_ERROR" ? code : undefined;
}
