/**
 * Notification targets: webhook URLs typed by a prefix. A webhook URL is a
 * credential (whoever has it can post to the channel), so nothing here ever
 * returns or prints more of it than its scheme and host.
 */

/** The receiver a target posts to, which decides the payload's shape. */
export type TargetKind = "teams" | "slack" | "json";

/** A validated target. `url` is secret: never print it, print {@link NotifyTarget.label}. */
export interface NotifyTarget {
  kind: TargetKind;
  /** The URL to POST to (without the `teams+`/`slack+` prefix). Secret. */
  url: string;
  /** What may be printed: the prefix, scheme and host, e.g. `teams+https://prod-12.westeurope.logic.azure.com`. */
  label: string;
}

/** The environment variable holding targets, separated by whitespace or commas. */
export const NOTIFY_ENV = "PARTNER_CENTER_SAM_NOTIFY";
/** The environment variable holding the generic JSON target's HMAC key. */
export const NOTIFY_SECRET_ENV = "PARTNER_CENTER_SAM_NOTIFY_SECRET";

const PREFIXES: Record<string, TargetKind> = { "teams+": "teams", "slack+": "slack" };

/**
 * Hosts that never leave this machine. Plain http is accepted only for these:
 * a webhook URL is a credential and the message names the vault, so it must not
 * cross a network unencrypted; a receiver on loopback (a local relay, a test
 * sink) is not on a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The outcome of {@link parseTarget}: the target, or why the text is not one (never quoting the URL). */
export type ParsedTarget = { ok: true; target: NotifyTarget } | { ok: false; problem: string };

/**
 * Parses one target. The problem text names what is wrong without repeating
 * the URL, since it may hold the webhook's secret path or signature.
 */
export function parseTarget(text: string): ParsedTarget {
  const trimmed = text.trim();
  const prefix = Object.keys(PREFIXES).find((p) => trimmed.toLowerCase().startsWith(p));
  const kind: TargetKind = prefix ? PREFIXES[prefix] : "json";
  const raw = prefix ? trimmed.slice(prefix.length) : trimmed;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: "is not a URL (expected teams+https://…, slack+https://… or https://…)" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, problem: `uses ${url.protocol.replace(/:$/, "")}: (expected https://)` };
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return { ok: false, problem: `uses http:// for ${url.hostname}: a webhook URL is a credential, so it needs https:// (plain http only for localhost/127.0.0.1)` };
  }
  if (url.username || url.password) return { ok: false, problem: `for ${url.hostname} carries a user name or password in the URL; put credentials in the webhook's own URL path or query` };
  if (url.hash) return { ok: false, problem: `for ${url.hostname} has a #fragment, which is never sent to the receiver` };
  const label = `${prefix ?? ""}${url.protocol}//${url.host}`;
  return { ok: true, target: { kind, url: url.toString(), label } };
}

/** Splits the environment variable's value into target texts (whitespace or commas). */
export function splitTargets(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter(Boolean);
}

/** Validated targets and every problem found, for a usage error that lists them all. */
export interface ParsedTargets {
  targets: NotifyTarget[];
  problems: string[];
}

/**
 * Parses the targets of `--notify` (each flag one target) and of the
 * environment variable; duplicates (same URL) are dropped. Each problem names
 * where the target came from and its position, never its text.
 */
export function parseTargets(flags: readonly string[], envValue: string | undefined): ParsedTargets {
  const targets: NotifyTarget[] = [];
  const problems: string[] = [];
  const add = (text: string, where: string) => {
    const parsed = parseTarget(text);
    if (!parsed.ok) problems.push(`${where} ${parsed.problem}`);
    else if (!targets.some((t) => t.url === parsed.target.url && t.kind === parsed.target.kind)) targets.push(parsed.target);
  };
  flags.forEach((text, i) => add(text, flags.length > 1 ? `--notify #${i + 1}` : "--notify"));
  const fromEnv = splitTargets(envValue);
  fromEnv.forEach((text, i) => add(text, `${NOTIFY_ENV} (environment)${fromEnv.length > 1 ? ` item ${i + 1}` : ""}`));
  return { targets, problems };
}
