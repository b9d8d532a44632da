/**
 * Reads one refresh token from a stream (a command's standard input): never from
 * a terminal, bounded in size and in time, trimmed, and checked for the shape of
 * a refresh token. Nothing read ever appears in an error message.
 */
import { catalogError } from "./error-catalogue";

/** Options of {@link readRefreshTokenInput}. */
export interface RefreshTokenInputOptions {
  /** Refuse more than this many bytes (default {@link MAX_REFRESH_TOKEN_INPUT_BYTES}). */
  maxBytes?: number;
  /** Give up when the stream has not ended after this long (ms). */
  timeoutMs: number;
  /** Stops reading (e.g. on Ctrl-C) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The most standard input may hold. Entra ID's refresh tokens are opaque strings
 * of one to a few kilobytes; a Key Vault secret holds at most 25 KB.
 */
export const MAX_REFRESH_TOKEN_INPUT_BYTES = 16 * 1024;

/** A stream that may be a terminal (process.stdin has `isTTY` then). */
export type TokenInputStream = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * Reads the whole stream and returns the one refresh token it holds, without
 * surrounding whitespace (a trailing newline from `echo` or `Get-Content` is
 * normal). Throws `import_token_terminal` for a terminal, `import_token_input`
 * for anything else that is not one refresh token.
 */
export async function readRefreshTokenInput(input: TokenInputStream, options: RefreshTokenInputOptions): Promise<string> {
  if (input.isTTY) {
    throw catalogError("import_token_terminal", {
      message: "import-token reads the refresh token from standard input, and standard input is a terminal: a token typed or pasted there would stay in the terminal's scrollback.",
    });
  }
  const raw = await readBounded(input, options.maxBytes ?? MAX_REFRESH_TOKEN_INPUT_BYTES, options.timeoutMs, options.signal);
  return checkRefreshTokenShape(raw);
}

/** Checks that `raw` (standard input's text) is one refresh token and returns it trimmed; messages never quote it. */
export function checkRefreshTokenShape(raw: string): string {
  const token = raw.replace(/^\uFEFF/, "").trim();
  const refuse = (detail: string, hint?: string) => catalogError("import_token_input", { detail, ...(hint ? { hint } : {}) });
  if (token === "") throw refuse("it was empty.");
  if (/^[[{]/.test(token)) {
    throw refuse("it looks like JSON.", "Pipe only the refresh token's value (PowerShell: `$token.RefreshToken`; JSON: its refresh_token field), then run the command again.");
  }
  if (/\s/.test(token)) throw refuse("it holds more than one line or word; a refresh token has no spaces or line breaks inside.");
  if (/^eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*$/.test(token)) {
    throw refuse("it is a JWT, i.e. an access token, not a refresh token.", "Pipe the refresh token (PowerShell: `$token.RefreshToken`, not `$token.AccessToken`), then run the command again.");
  }
  if (/[^\x21-\x7e]/.test(token)) throw refuse("it holds characters a refresh token never has (only printable ASCII is allowed).");
  return token;
}

function readBounded(input: TokenInputStream, maxBytes: number, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.removeListener("error", onError);
      input.pause();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      size += buffer.length;
      if (size > maxBytes) {
        finish(catalogError("import_token_input", { detail: `it holds more than ${maxBytes} bytes, more than any refresh token.` }));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(catalogError("import_token_input", { detail: `it could not be read (${error.message}).`, cause: error }));
    const timer = setTimeout(
      () => finish(catalogError("import_token_input", { detail: `it was not closed within ${Math.round(timeoutMs / 1000)} s.`, hint: "Pipe a file or a command that ends (e.g. `Get-Content token.txt | …` or `… < token.txt`), then run the command again." })),
      timeoutMs,
    );
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal?.addEventListener("abort", onAbort, { once: true });
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", onError);
    input.resume();
  });
}
