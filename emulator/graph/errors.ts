/**
 * Microsoft Graph's error answers: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`
 * with the `request-id` and `client-request-id` response headers (learn.microsoft.com/graph/errors: "error
 * resource"; the ids are the ones Microsoft support asks for), and the codes the stand-in uses.
 */
import type http from "node:http";
import { sendJson } from "../http";

/** A Graph error answer. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. `retry-after`, `www-authenticate`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's `innerError.date`: UTC, seconds precision, no zone designator (as in learn.microsoft.com/graph/errors). */
export function graphDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "");
}

/** Writes `err` in Graph's shape with the request ids in the body and the headers. */
export function sendGraphError(res: http.ServerResponse, err: GraphError, ids: { requestId: string; clientRequestId: string }, now: number): void {
  const headers = { "request-id": ids.requestId, "client-request-id": ids.clientRequestId, ...err.headers };
  sendJson(
    res,
    err.status,
    { error: { code: err.code, message: err.message, innerError: { date: graphDate(now), "request-id": ids.requestId, "client-request-id": ids.clientRequestId } } },
    headers,
  );
}

/** 401 for a request without a token or with one Graph does not accept (learn.microsoft.com/graph/resolve-auth-errors). */
export function invalidToken(message: string): GraphError {
  return new GraphError(401, "InvalidAuthenticationToken", message, {
    "www-authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
  });
}

/**
 * 403 when the token lacks the permission the API needs: Graph's directory APIs answer
 * `Authorization_RequestDenied` "Insufficient privileges to complete the operation." (learn.microsoft.com/graph/resolve-auth-errors).
 * The GDAP APIs' exact code for a token without DelegatedAdminRelationship.Read.All is not documented; the stand-in
 * answers the same 403 (clients should key on the status).
 */
export function insufficientPrivileges(): GraphError {
  return new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

/** 429 with Retry-After (learn.microsoft.com/graph/throttling: "TooManyRequests", Retry-After in seconds). */
export function throttled(retryAfterSeconds: number): GraphError {
  return new GraphError(429, "TooManyRequests", `Too many requests. Please retry after ${retryAfterSeconds} seconds.`, { "retry-after": String(retryAfterSeconds) });
}

/** 400 for a path Graph does not serve: "Resource not found for the segment '…'." */
export function segmentNotFound(segment: string): GraphError {
  return new GraphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`);
}
