/**
 * `--notify TARGET` (repeatable) and `--notify-on`, for any command that should
 * tell a person when it fails or needs attention: declared by
 * {@link addNotifyOptions}, validated with the command's other options by
 * {@link resolveNotify}, and applied around the command's flow by
 * {@link runNotifying}. A delivery failure is a warning: it never changes the
 * command's exit code.
 */
import { Option, type Command } from "commander";
import { ExitCode, SamError } from "../core/errors";
import { deliver, type DeliveryResult } from "../notify/deliver";
import { buildMessage, eventFor, NOTIFY_ON_VALUES, shouldNotify, type NotifyEvent, type NotifyOn } from "../notify/message";
import { NOTIFY_ENV, NOTIFY_SECRET_ENV, parseTargets, type NotifyTarget } from "../notify/targets";
import { loadStackOutputs } from "../vault/stack-outputs";
import type { TargetSource } from "../vault/vault-target";
import type { OptionProblems } from "./options";
import type { Reporter } from "./reporter";

/** Where notifications go and when (validated). */
export interface NotifySettings {
  targets: NotifyTarget[];
  on: NotifyOn;
  /** HMAC key for the generic JSON targets (PARTNER_CENTER_SAM_NOTIFY_SECRET). */
  secret?: string;
}

/** `--notify TARGET` alone (repeatable; also PARTNER_CENTER_SAM_NOTIFY). */
export function addNotifyOptionTarget(command: Command): Command {
  return command.option(
    "--notify <target>",
    `send a notification to this webhook (teams+https://…, slack+https://… or https://…); repeatable; also ${NOTIFY_ENV}`,
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

/** `--notify TARGET` (repeatable; also PARTNER_CENTER_SAM_NOTIFY) and `--notify-on`. */
export function addNotifyOptions(command: Command): Command {
  return addNotifyOptionTarget(command)
    .addOption(new Option("--notify-on <when>", "which outcomes notify: failure, attention (failure or exit 3) or always").default("attention"));
}

/**
 * Validates the notification options and the environment (recording every
 * problem in `problems`, never quoting a webhook URL); undefined when no target
 * is configured.
 */
export function resolveNotify(command: Command, problems: OptionProblems, env: NodeJS.ProcessEnv = process.env): NotifySettings | undefined {
  const flags = command.opts<{ notify?: string[]; notifyOn?: string }>();
  const on = flags.notifyOn ?? "attention";
  if (!(NOTIFY_ON_VALUES as readonly string[]).includes(on)) problems.add(`--notify-on must be one of ${NOTIFY_ON_VALUES.join(", ")}, got "${on.slice(0, 20)}"`);
  const parsed = parseTargets(flags.notify ?? [], env[NOTIFY_ENV]);
  for (const problem of parsed.problems) problems.add(`notification target: ${problem}`);
  if (parsed.targets.length === 0) return undefined;
  const secret = env[NOTIFY_SECRET_ENV] || undefined;
  return { targets: parsed.targets, on: on as NotifyOn, ...(secret ? { secret } : {}) };
}

/** What a finished command tells the notification targets. */
export interface Outcome {
  exitCode: number;
  /** Default: from the exit code. */
  event?: NotifyEvent;
  summary: string;
  actions: string[];
  keyVaultUri?: string | null;
  aadsts?: string;
}

/** Where and as what the command runs, for the message. */
export interface NotifyContext {
  command: string;
  source: TargetSource;
  reporter: Reporter;
  signal?: AbortSignal;
}

/**
 * Runs `work`, then notifies the targets when `settings.on` says the outcome
 * deserves it (`judge` describes a result; a thrown error is described by its
 * message and hint). Returns the result, its exit code and the deliveries
 * (empty without targets). A thrown error is rethrown after the deliveries,
 * with them added to the failure's JSON document.
 */
export async function runNotifying<T>(
  settings: NotifySettings | undefined,
  context: NotifyContext,
  work: () => Promise<T>,
  judge: (value: T) => Outcome,
): Promise<{ value: T; exitCode: number; notifications: DeliveryResult[] }> {
  let value: T;
  try {
    value = await work();
  } catch (error) {
    const e = error instanceof SamError ? error : undefined;
    const exitCode = e?.exitCode ?? ExitCode.Failure;
    const message = error instanceof Error ? error.message : String(error);
    const keyVaultUri = settings ? await vaultOf(context.source) : undefined;
    const notifications = await send(settings, context, { exitCode, summary: message, actions: e?.hint ? [e.hint] : [], keyVaultUri });
    if (settings) context.reporter.annotate({ notifications });
    throw error;
  }
  const outcome = judge(value);
  const notifications = await send(settings, context, outcome);
  return { value, exitCode: outcome.exitCode, notifications };
}

/**
 * The vault a failed command was pointed at, for the message: `--vault-uri`, or
 * the `--outputs` file's keyVaultUri when it can be read. The Pulumi CLI is not
 * asked again (it may be what failed).
 */
async function vaultOf(source: TargetSource): Promise<string | undefined> {
  if (source.vaultUri) return source.vaultUri;
  if (!source.outputsFile) return undefined;
  return loadStackOutputs({ outputsFile: source.outputsFile }).then(
    (outputs) => outputs.keyVaultUri,
    () => undefined,
  );
}

/** Delivers the outcome to every target when the policy says so; reports each failure on stderr. */
async function send(settings: NotifySettings | undefined, context: NotifyContext, outcome: Outcome): Promise<DeliveryResult[]> {
  if (!settings || !shouldNotify(settings.on, outcome.exitCode)) return [];
  const { reporter } = context;
  const message = buildMessage(
    { command: context.command, stack: context.source.stack ?? null, keyVaultUri: outcome.keyVaultUri ?? context.source.vaultUri ?? null, scrub: (t) => reporter.scrub(t) },
    { event: outcome.event ?? eventFor(outcome.exitCode), exitCode: outcome.exitCode, summary: outcome.summary, actions: outcome.actions, aadsts: outcome.aadsts },
  );
  const results = await deliver(settings.targets, message, { secret: settings.secret, signal: context.signal });
  reportDeliveries(reporter, results);
  return results;
}

/** One line per target on stderr: sent, or why not (the exit code stays the command's). */
export function reportDeliveries(reporter: Reporter, results: readonly DeliveryResult[]): void {
  for (const r of results) {
    if (r.ok) reporter.step(`Notified ${r.target}.`);
    else reporter.warn(`Notification to ${r.target} failed: ${r.error}. The command's result and exit code are unchanged.`);
  }
}
