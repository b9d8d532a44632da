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

