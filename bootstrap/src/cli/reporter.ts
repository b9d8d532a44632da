import { CancelledError } from "../core/cancellation";
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import type { InteractiveProgress } from "../core/progress";
import { JWT, REDACTED, SECRET_PARAM, safeJson, terminalSafe } from "../core/terminal";
import { namedForInvocation, type Invocation } from "./invocation";

export { terminalSafe };

/** Options for {@link Reporter}. */
export interface ReporterOptions {
  /** `--json`: stdout carries exactly one JSON document; everything else goes to stderr. */
  json: boolean;
  /** Whether progress lines (step, note) are printed; default true. Warnings, prompts and failures always are. */
  progress?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** How the user ran the command: hints then name commands the same way (default: the bin, `partner-center-sam <command>`). */
  invocation?: Invocation;
}

/** `m:ss` (or `h:mm:ss`) for a countdown; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Writes a command's progress and result. Progress goes to stderr, the result
 * to stdout. Every line passes a scrubber that removes the secret values the
 * command registered with {@link Reporter.protect} and anything shaped like a token,
 * and through {@link terminalSafe}: this is the one place where text from outside
 * is made safe to print, so call sites need not.
 */
export class Reporter implements InteractiveProgress {
  readonly json: boolean;
  private readonly progress: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly secrets = new Set<string>();
  /** Fields {@link annotate} added to the failure document. */
  private annotations: Record<string, unknown> = {};
  private readonly invocation: Invocation;
  /** The running countdown of {@link wait}, if any: how to end it and how to draw it again. */
  private endCountdown?: () => void;
  private redrawCountdown?: () => void;

  constructor(options: ReporterOptions) {
    this.json = options.json;
    this.progress = options.progress ?? true;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.invocation = options.invocation ?? { npmScript: false };
  }

  /** Registers values that must never be printed (tokens, codes, secrets). */
  protect(...values: Array<string | undefined>): void {
    for (const value of values) if (value && value.length >= 6) this.secrets.add(value);
  }

  /** A step the command is taking. */
  step(message: string): void {
    if (this.progress) this.write(this.stderr, `• ${message}`);
  }

  /** Something the user should know, such as why the command waits. */
  note(message: string): void {
    if (this.progress) this.write(this.stderr, `  ${message}`);
  }

  /**
   * A wait of at most `durationMs`. On a terminal one line counts down in place
   * (`message — 4:59 left`, redrawn each second and erased when the wait ends);
   * otherwise the plain `message` is printed once, as a note, so logs get no
   * carriage returns. Nothing is shown when progress is off.
   */
  wait(message: string, durationMs: number): () => void {
    if (!this.progress) return () => undefined;
    if (!(this.stderr as NodeJS.WriteStream).isTTY) {
      this.note(message);
      return () => undefined;
    }
    this.endCountdown?.();
    const text = this.scrub(terminalSafe(message));
    const endsAt = Date.now() + durationMs;
    const draw = () => this.stderr.write(`\r\u001b[2K  ${text} — ${formatRemaining(endsAt - Date.now())} left`);
    draw();
    const ticker = setInterval(draw, 1000);
    ticker.unref();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(ticker);
      clearTimeout(limit);
      this.stderr.write("\r\u001b[2K");
      if (this.endCountdown === end) this.endCountdown = this.redrawCountdown = undefined;
    };
    this.endCountdown = end;
    this.redrawCountdown = draw;
    const limit = setTimeout(end, durationMs);
    limit.unref();
    return end;
  }

  /** A warning that does not stop the command. */
  warn(message: string): void {
    this.write(this.stderr, `! ${message}`);
  }

  /** Text meant for the user to act on (a URL to open, a prompt), always on stderr. */
  prompt(message: string): void {
    this.write(this.stderr, message);
  }

  /**
   * The secret a command exists to print (`token`): the value alone, or with
   * --json the document holding it, on stdout and not scrubbed. The one place a
   * secret is printed on purpose; nothing else may go to stdout in that command.
   */
  secretResult(value: string, document: object): void {
    this.stdout.write(this.json ? `${JSON.stringify(document, null, 2)}\n` : `${value}\n`);
  }

  /** The command's result: the JSON document with --json, else the human lines. */
  result(humanLines: string[], document: object): void {
    if (this.json) this.write(this.stdout, safeJson(document));
    else for (const line of humanLines) this.write(this.stdout, line);
  }

  /** Adds fields (such as `notifications`) to the JSON document {@link failure} prints. */
  annotate(fields: Record<string, unknown>): void {
    this.annotations = { ...this.annotations, ...fields };
  }

  /** Reports a failure and returns the exit code to use (130/143 after SIGINT/SIGTERM, see {@link CancelledError}). */
  failure(error: unknown): number {
    const e = error instanceof SamError ? error : undefined;
    const unexpected = e ? undefined : catalogError("unexpected_error", { detail: error instanceof Error ? error.message : String(error) });
    const { code, message } = e ?? unexpected!;
    const hint = e ? e.hint : unexpected!.hint;
    if (this.json) {
      const document = { ok: false, error: { code, message, ...(hint ? { hint } : {}), ...(e?.aadsts ? { aadsts: e.aadsts } : {}) }, ...this.annotations };
      this.write(this.stdout, safeJson(document));
    }
    this.write(this.stderr, `✖ ${message}`);
    if (hint) this.write(this.stderr, `  Next: ${hint}`);
    return e instanceof CancelledError ? e.signalExitCode : (e?.exitCode ?? 1);
  }

  /** Removes registered secrets and token-shaped strings from a line. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out.replace(JWT, REDACTED).replace(SECRET_PARAM, (_m, name: string) => `${name}=${REDACTED}`);
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    // A line printed during a countdown replaces the countdown's line, which is then drawn again below it.
    const countdown = stream === this.stderr ? this.redrawCountdown : undefined;
    stream.write(`${countdown ? "\r\u001b[2K" : ""}${this.scrub(terminalSafe(namedForInvocation(text, this.invocation)))}\n`);
    countdown?.();
  }
}
