/** Small validators shared by the stack-output and command-line checks, and the one URL check every URL input goes through. */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** True for a GUID such as a tenant, client or object id. */
export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

/** True for a valid Key Vault secret name. */
export function isSecretName(value: unknown): value is string {
  return typeof value === "string" && SECRET_NAME.test(value);
}

/**
 * What a URL input may look like. Every URL is absolute, https (http only for a
 * `http://localhost` redirect URI), without user name or password, without a
 * fragment and — except where a link needs one — without a query string.
 */
export interface UrlRule {
  /**
   * `origin`: scheme, host and port only (authority host, vault URI);
   * `endpoint`: a path is allowed (Partner Center endpoint);
   * `redirect`: a redirect URI (http only for localhost, port 0 refused);
   * `link`: a URL only shown to people, which may carry a query (admin consent URL).
   */
  kind: "origin" | "endpoint" | "redirect" | "link";
  /** What is expected, for messages: "an https URL such as …". */
  expected: string;
  /** Added to the message when an `origin` URL has a path. */
  pathAdvice?: string;
}

/** The rules of the URL inputs the commands and the token provider take. */
export const URL_RULES = Object.freeze({
  authorityHost: {
    kind: "origin",
    expected: "an https URL of the host only, such as https://login.microsoftonline.com",
    pathAdvice: "give the host only; the commands add the tenant themselves",
  },
  keyVaultUri: { kind: "origin", expected: "an https URL such as https://kv-name.vault.azure.net/", pathAdvice: "give the vault's address only" },
  partnerCenterEndpoint: { kind: "endpoint", expected: "an https URL such as https://api.partnercenter.microsoft.com" },
  graphEndpoint: {
    kind: "origin",
    expected: "an https URL of the host only, such as https://graph.microsoft.com (or a sovereign cloud's, e.g. https://graph.microsoft.us)",
    pathAdvice: "give the host only; the commands add /v1.0/… themselves",
  },
  redirectUri: { kind: "redirect", expected: "http://localhost[:port]/… or an https URL, without a query or fragment" },
  adminConsentUrl: { kind: "link", expected: "an https URL" },
} satisfies Record<string, UrlRule>);

/** The outcome of {@link checkUrl}: the parsed URL and its normal form, or why it was refused. */
export type UrlCheck =
  | { ok: true; url: URL; /** Origin for `origin` rules, no trailing slash for `endpoint`, else as given. */ normalized: string }
  | { ok: false; /** Why, in a few words ("it has a query string"). */ reason: string; /** The value, safe to print (no password). */ shown: string };

/**
 * The one URL check for every URL input (flags, environment, stack outputs,
 * provider options). Never puts a password from the URL into its answer.
 */
export function checkUrl(value: unknown, rule: UrlRule): UrlCheck {
  const refuse = (reason: string): UrlCheck => ({ ok: false, reason, shown: describeValue(typeof value === "string" ? redactUrl(value) : value) });
  if (typeof value !== "string") return refuse(value === undefined ? "it is missing" : "it is not a string");
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) return refuse("it contains spaces or control characters");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse("it is not an absolute URL");
  }
  const loopbackHttp = rule.kind === "redirect" && url.protocol === "http:" && url.hostname === "localhost";
  if (url.protocol !== "https:" && !loopbackHttp) {
    return refuse(
      url.protocol === "http:"
        ? rule.kind === "redirect"
          ? "http is only allowed for http://localhost"
          : "it uses http; only https is accepted"
        : `it uses the scheme "${url.protocol.replace(/:$/, "")}"; only https is accepted`,
    );
  }
  if (!url.hostname) return refuse("it has no host");
  if (url.username || url.password || /^[^:]*:\/\/[^/?#]*@/.test(value)) return refuse("it contains a user name or password; never put credentials in a URL");
  if (value.includes("#")) return refuse("it has a fragment (#…)");
  if (rule.kind !== "link" && value.includes("?")) return refuse("it has a query string (?…)");
  if (rule.kind === "redirect" && url.port === "0") return refuse("port 0 is not a port a browser can be redirected to");
  if (rule.kind === "origin" && !/^\/*$/.test(url.pathname)) {
    return refuse(`it has a path (${describeValue(url.pathname)})${rule.pathAdvice ? `; ${rule.pathAdvice}` : ""}`);
  }
  const normalized = rule.kind === "origin" ? url.origin : rule.kind === "endpoint" ? trimTrailingSlash(`${url.origin}${url.pathname}`) : value;
  return { ok: true, url, normalized };
}

/** The problem line for a refused URL: `NAME must be EXPECTED, got "…": REASON`. */
export function urlProblem(name: string, check: Extract<UrlCheck, { ok: false }>, rule: UrlRule): string {
  return `${name} must be ${rule.expected}, got ${check.shown}: ${check.reason}`;
}

/** Replaces the user name and password of a URL-shaped text with `***`, for messages. */
export function redactUrl(text: string): string {
  return text.replace(/^([^:/?#]*:\/\/).*@/s, "$1***@");
}

/** True for an absolute https URL without user name, password, query or fragment (path allowed). */
export function isHttpsUrl(value: unknown): value is string {
  return checkUrl(value, URL_RULES.partnerCenterEndpoint).ok;
}

/** True for a redirect URI Entra ID accepts for this app: `http://localhost[:port]/…` or `https://…`, no query, fragment or port 0. */
export function isRedirectUri(value: unknown): value is string {
  return checkUrl(value, URL_RULES.redirectUri).ok;
}

/** Removes trailing slashes so URLs can be joined with `/path`. */
export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Renders a value for an error message, shortened so a message stays readable. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
