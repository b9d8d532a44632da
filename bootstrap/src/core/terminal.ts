/**
 * What may reach a terminal: the one place that decides how text from outside
 * (error descriptions, user names, vault tags, service answers) is made safe to
 * print, and which shapes count as secrets to redact. The CLI's reporter and the
 * library's error messages both use it.
 */
import { stripVTControlCharacters } from "node:util";

export const REDACTED = "[redacted]";
/** Anything shaped like a JWT, and OAuth parameters that carry secrets. */
export const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
export const SECRET_PARAM = /\b(code|refresh_token|access_token|id_token|client_secret|code_verifier)=([A-Za-z0-9._~%+/=-]{6,})/gi;
/** Entra ID's opaque refresh tokens ("0.A…", "1.A…"), which are not JWTs. */
export const OPAQUE_REFRESH_TOKEN = /\b[01]\.A[\w.*-]{30,}/g;
/** JSON fields that carry a secret value or a token: `"value": "…"`, `"refresh_token": "…"`, … */
export const SECRET_FIELD = /("(?:value|refresh_token|access_token|id_token|client_secret|code_verifier|password)"\s*:\s*")((?:[^"\\]|\\.)*)(")?/gi;

/**
 * Removes what is shaped like a secret from text that came from a service or a
 * library (an error message, an echoed request): JWTs, OAuth parameters that
 * carry secrets, opaque refresh tokens, secret-bearing JSON fields, and every
 * value in `known` (the secrets the caller sent). The second line of defence:
 * the first is never to put a response body into a message at all.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  return out
    .replace(JWT, REDACTED)
    .replace(SECRET_PARAM, (_m, name: string) => `${name}=${REDACTED}`)
    .replace(SECRET_FIELD, (_m, head: string, _value: string, end?: string) => `${head}${REDACTED}${end ?? ""}`)
    .replace(OPAQUE_REFRESH_TOKEN, REDACTED);
}

/**
 * Applies {@link redactSecrets} (with `known`) to the texts a library's error
 * carries (message, msal-node's errorMessage, a token endpoint's
 * error_description, the stack), in place, before anything quotes or keeps them.
 */
export function redactErrorTexts(error: unknown, known: readonly string[]): void {
  if (typeof error !== "object" || error === null) return;
  const fields = error as Record<string, unknown>;
  for (const key of ["message", "errorMessage", "error_description", "stack"]) {
    const value = fields[key];
    if (typeof value !== "string") continue;
    try {
      fields[key] = redactSecrets(value, known);
    } catch {
      // A read-only field: leave it; every message built from it is redacted again by catalogError.
    }
  }
}

/** The SDK's message for a body it could not parse, which quotes the whole body (@azure/core-client's deserializationPolicy). */
const PARSE_ERROR_MESSAGE = /occurred while parsing the response body/i;

/** True for an error about an answer whose body could not be parsed (cut off, or not JSON). */
export function isUnreadableAnswer(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === "PARSE_ERROR" || (typeof e?.message === "string" && PARSE_ERROR_MESSAGE.test(e.message));
}

/**
 * One line that says what went wrong in an error from a library or a service,
 * safe for any message: never a response body (an unparsable answer is only
 * named as such: the body may hold the very secret that was read), cut to its
 * first line and 300 characters, with {@link redactSecrets} applied.
 */
export function describeFailure(error: unknown, known: readonly string[] = []): string {
  if (isUnreadableAnswer(error)) return "the answer could not be read (cut off, or not valid JSON); it is not shown, as it may hold a secret";
  const message = error instanceof Error ? error.message : typeof (error as { message?: unknown } | null)?.message === "string" ? (error as { message: string }).message : String(error);
  return redactSecrets(message.split(/\r?\n/)[0]!, known).slice(0, 300);
}

/**
 * Control characters other than line feed and tab (C0, DEL, C1), and the Unicode
 * marks that reorder text on screen (bidirectional overrides and isolates).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text that may have come from outside (error descriptions, user names,
 * vault tags, Partner Center names) safe for a terminal: removes terminal escape
 * sequences, then every remaining control character except line feed and tab.
 * Carriage returns go too, so text cannot overwrite what was printed before it.
 */
export function terminalSafe(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROL, "");
}

/** JSON with {@link terminalSafe} applied to every string value. */
export function safeJson(document: object): string {
  return JSON.stringify(document, (_key, value: unknown) => (typeof value === "string" ? terminalSafe(value) : value), 2);
}

