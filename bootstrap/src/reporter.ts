import { SamError } from "./errors";

/** Options for {@link Reporter}. */
export interface ReporterOptions {
  /** `--json`: stdout carries exactly one JSON document; everything else goes to stderr. */
  json: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const REDACTED = "[redacted]";
/** Anything shaped like a JWT, and OAuth parameters that carry secrets. */
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const SECRET_PARAM = /\b(code|refresh_token|access_token|id_token|client_secret|code_verifier)=([A-Za-z0-9._~%+/=-]{6,})/gi;

/**
 * Writes a command's progress and result. Progress goes to stderr, the result
 * to stdout. Every line passes a scrubber that removes the secret values the
 * command registered with {@link Reporter.protect} and anything shaped like a token.
 */
export class Reporter {
  readonly json: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly secrets = new Set<string>();

  constructor(options: ReporterOptions) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** Registers values that must never be printed (tokens, codes, secrets). */
  protect(...values: Array<string | undefined>): void {
    for (const value of values) if (value && value.length >= 6) this.secrets.add(value);
  }

  /** A step the command is taking. */
  step(message: string): void {
    this.write(this.stderr, `• ${message}`);
  }

  /** Something the user should know, such as why the command waits. */
  note(message: string): void {
    this.write(this.stderr, `  ${message}`);
  }

  /** A warning that does not stop the command. */
  warn(message: string): void {
    this.write(this.stderr, `! ${message}`);
  }

  /** Text meant for the user to act on (a URL to open, a prompt), always on stderr. */
  prompt(message: string): void {
    this.write(this.stderr, message);
  }

  /** The command's result: the JSON document with --json, else the human lines. */
  result(humanLines: string[], document: object): void {
    if (this.json) this.write(this.stdout, JSON.stringify(document, null, 2));
    else for (const line of humanLines) this.write(this.stdout, line);
  }

  /** Reports a failure and returns the exit code to use. */
  failure(error: unknown): number {
    const e = error instanceof SamError ? error : undefined;
    const code = e?.code ?? "unexpected_error";
    const message = e?.message ?? `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    const hint = e?.hint ?? (e ? undefined : "Run the command again; if it persists, report it with this message.");
    if (this.json) {
      const document = { ok: false, error: { code, message, ...(hint ? { hint } : {}), ...(e?.aadsts ? { aadsts: e.aadsts } : {}) } };
      this.write(this.stdout, JSON.stringify(document, null, 2));
    }
    this.write(this.stderr, `✖ ${message}`);
    if (hint) this.write(this.stderr, `  Next: ${hint}`);
    return e?.exitCode ?? 1;
  }

  /** Removes registered secrets and token-shaped strings from a line. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out.replace(JWT, REDACTED).replace(SECRET_PARAM, (_m, name: string) => `${name}=${REDACTED}`);
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    stream.write(`${this.scrub(text)}\n`);
  }
}
