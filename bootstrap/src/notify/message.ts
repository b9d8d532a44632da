/**
 * What a notification says and when a command sends one. A message names the
 * stack or the vault, what happened and the next step in the command's own
 * words; it never carries a token, a secret or a code (its text passes the
 * same scrubber as the command's output).
 */

/** `--notify-on`: which outcomes notify. */
export type NotifyOn = "failure" | "attention" | "always";

/** The values of `--notify-on`, in order of how much they send. */
export const NOTIFY_ON_VALUES: readonly NotifyOn[] = ["failure", "attention", "always"];

/**
 * What happened: `ok` (exit 0), `attention` (exit 3: a person must act),
 * `failure` (the command could not do its job), `token_refused` (`status --probe`:
 * Entra ID refused the stored refresh token), `test` (`notify --test`).
 */
export type NotifyEvent = "ok" | "attention" | "failure" | "token_refused" | "test";

/** The generic JSON message (and what the Teams and Slack payloads are built from). */
export interface NotifyMessage {
  event: NotifyEvent;
  /** The command that sent it: `status`, `refresh`, `notify`, … */
  command: string;
  /** The command's exit code. */
  exitCode: number;
  /** What happened, in one sentence. */
  summary: string;
  /** What to do next, in the command's own words (its error's hint or its "Fix:" lines). */
  actions: string[];
  /** The Pulumi stack, when the command was pointed at one by name. */
  stack: string | null;
  /** The vault, when known. */
  keyVaultUri: string | null;
  /** When (ISO 8601). */
  at: string;
  /** Only for `token_refused`: Entra ID's error code, e.g. `AADSTS700082`. */
  aadsts?: string;
}

/** Exit codes that count as "a person pressed Ctrl-C": never notified. */
const INTERRUPTED = 130;

/** Whether an outcome with `exitCode` notifies under `on` (`attention`: anything but 0; `failure`: anything but 0 and 3). */
export function shouldNotify(on: NotifyOn, exitCode: number): boolean {
  if (exitCode === INTERRUPTED) return false;
  if (on === "always") return true;
  if (exitCode === 0) return false;
  return on === "attention" || exitCode !== 3;
}

/** The event an exit code stands for. */
export function eventFor(exitCode: number): NotifyEvent {
  return exitCode === 0 ? "ok" : exitCode === 3 ? "attention" : "failure";
}

/** Where the command was pointed, for the message. */
export interface MessageContext {
  command: string;
  stack?: string | null;
  keyVaultUri?: string | null;
  now?: Date;
  /** Removes secrets from text (the command's reporter scrubber). */
  scrub?: (text: string) => string;
}

/** Builds a message; every text passes `context.scrub`. */
export function buildMessage(
  context: MessageContext,
  outcome: { event: NotifyEvent; exitCode: number; summary: string; actions: string[]; aadsts?: string },
): NotifyMessage {
  const scrub = context.scrub ?? ((t: string) => t);
  return {
    event: outcome.event,
    command: context.command,
    exitCode: outcome.exitCode,
    summary: scrub(outcome.summary),
    actions: outcome.actions.map(scrub),
    stack: context.stack ?? null,
    keyVaultUri: context.keyVaultUri ?? null,
    at: (context.now ?? new Date()).toISOString(),
    ...(outcome.aadsts ? { aadsts: outcome.aadsts } : {}),
  };
}

/** Where the message is about, in words: the stack and/or the vault. */
export function subjectOf(message: Pick<NotifyMessage, "stack" | "keyVaultUri">): string {
  const vault = message.keyVaultUri ? vaultName(message.keyVaultUri) : undefined;
  if (message.stack && vault) return `stack ${message.stack} (vault ${vault})`;
  if (message.stack) return `stack ${message.stack}`;
  return vault ? `vault ${vault}` : "partner-center-sam";
}

/** The vault's name: the first label of its URI's host. */
export function vaultName(keyVaultUri: string): string {
  try {
    return new URL(keyVaultUri).hostname.split(".")[0] ?? keyVaultUri;
  } catch {
    return keyVaultUri;
  }
}

/** The headline a person sees first. */
export function headline(message: NotifyMessage): string {
  const what: Record<NotifyEvent, string> = {
    ok: "OK",
    attention: "needs attention",
    failure: "failed",
    token_refused: "refresh token refused",
    test: "test notification",
  };
  return `partner-center-sam ${message.command}: ${what[message.event]} — ${subjectOf(message)}`;
}
