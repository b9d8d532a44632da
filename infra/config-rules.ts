/**
 * The rules configuration values must follow. Each rule parses the raw text
 * Pulumi hands the program and returns the normalised value, or the rule the
 * text breaks; each carries an example of a good value for the error message.
 */
import { isGuid } from "../bootstrap/src/core/validate";
import { closestRoleName, roleTemplateId } from "../bootstrap/src/core/entra-roles";

/** The outcome of parsing one value. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; rule: string };

/** How one configuration value is parsed, and a value that passes. */
export interface Rule<T> {
  readonly example: string;
  parse(text: string): Parsed<T>;
}

const pass = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(rule: string): Parsed<T> => ({ ok: false, rule });

/** Non-empty text of at most `maxLength` characters, trimmed. */
export function nonEmptyText(example: string, maxLength = 256): Rule<string> {
  return {
    example,
    parse: (text) =>
      text.trim() && text.trim().length <= maxLength
        ? pass(text.trim())
        : fail(`must be non-empty text of at most ${maxLength} characters`),
  };
}

/** One of a fixed set of words (compared without case), normalised to its listed spelling. */
export function oneOf<T extends string>(choices: readonly T[], example: T): Rule<T> {
  return {
    example,
    parse: (text) => {
      const found = choices.find((choice) => choice.toLowerCase() === text.trim().toLowerCase());
      return found ? pass(found) : fail(`must be one of ${choices.join(", ")}`);
    },
  };
}

/** A whole number between `min` and `max` inclusive. */
export function wholeNumber(min: number, max: number, example: number): Rule<number> {
  return {
    example: String(example),
    parse: (text) => {
      const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
      return value >= min && value <= max ? pass(value) : fail(`must be a whole number from ${min} to ${max}`);
    },
  };
}

/** `true` or `false`. */
export const flag: Rule<boolean> = {
  example: "true",
  parse: (text) => (/^(true|false)$/.test(text) ? pass(text === "true") : fail("must be true or false")),
};

/** An Azure region name. */
export const azureLocation: Rule<string> = {
  example: "westeurope",
  parse: (text) =>
    /^[A-Za-z0-9][A-Za-z0-9 ]*$/.test(text) ? pass(text) : fail("must be an Azure region name such as westeurope"),
};

/** An Azure resource group name: 1–90 letters, digits, `_`, `-`, `.`, `(`, `)`, not ending with `.`. */
export const resourceGroupName: Rule<string> = {
  example: "rg-partner-center",
  parse: (text) =>
    /^[-\w.()]{0,89}[-\w()]$/.test(text)
      ? pass(text)
      : fail("must be 1–90 letters, digits, `_`, `-`, `.`, `(` or `)`, not ending with `.`"),
};

/** A Key Vault name: 3–24 characters, starts with a letter, letters/digits/hyphens, no `--`, ends with a letter or digit. */
export const keyVaultName: Rule<string> = {
  example: "kv-partnercenter-prod",
  parse: (text) =>
    /^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/.test(text)
      ? pass(text)
      : fail(
          "must be 3–24 characters: letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no `--`",
        ),
};

/**
 * `http://localhost[:port]/…` (loopback) or an `https://` URL, at most 256 characters, with no query,
 * fragment or user name and a port from 1 to 65535: Entra ID answers AADSTS50011 for anything else.
 */
export const redirectUri: Rule<string> = {
  example: "http://localhost:8400/",
  parse: (text) => {
    const rule =
      "must be http://localhost[:port]/… or an https:// URL with no query, fragment or user name, port 1–65535, at most 256 characters";
    if (text.length > 256 || /[\s#?*@]/.test(text)) return fail(rule);
    const loopback = /^http:\/\/localhost(?::(\d{1,5}))?\/.*$/.exec(text);
    if (loopback) {
      const port = loopback[1] === undefined ? 80 : Number(loopback[1]);
      return port >= 1 && port <= 65535 ? pass(text) : fail(rule);
    }
    const url = parseUrl(text);
    const explicitPort = /^https:\/\/[^/]*:(\d+)(?:\/|$)/.exec(text)?.[1];
    const portOk = explicitPort === undefined || (Number(explicitPort) >= 1 && Number(explicitPort) <= 65535);
    return url && text.startsWith("https://") && url.hostname && !url.username && !url.password && portOk ? pass(text) : fail(rule);
  },
};

/** An https URL with no path, query or fragment; normalised to its origin (no trailing slash). */
export function httpsOrigin(example: string): Rule<string> {
  return {
    example,
    parse: (text) => {
      const url = parseUrl(text);
      const bare = url && url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
      return url?.protocol === "https:" && bare && !text.includes("#")
        ? pass(url.origin)
        : fail("must be an https:// URL with no path, query or fragment");
    },
  };
}

/** A GitHub repository as `owner/name`. */
export const githubRepository: Rule<string> = {
  example: "contoso/partner-center-automation",
  parse: (text) => {
    const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(text);
    return match && match[2] !== "." && match[2] !== ".."
      ? pass(text)
      : fail("must be a GitHub repository as owner/name (owner: letters, digits, hyphens; name: letters, digits, `.`, `_`, `-`)");
  },
};

/** A GitHub deployment environment name. */
export const githubEnvironment: Rule<string> = {
  example: "production",
  parse: (text) =>
    /^[A-Za-z0-9_.-]{1,255}$/.test(text)
      ? pass(text)
      : fail("must be a GitHub environment name of 1–255 letters, digits, `.`, `_` or `-`"),
};

/** How one item of a list is checked; returns the normalised item or why it fails. */
export interface ItemRule {
  /** Plural description, e.g. "Entra object ids (GUIDs)". */
  readonly describe: string;
  check(item: string): Parsed<string>;
}

/**
 * A list (YAML/JSON array of strings) whose items all pass `item`; duplicates
 * are dropped. The rule names every failing item by its position, never by its
 * value (the key may have been set with `--secret`).
 */
export function listOf(item: ItemRule, example: string[]): Rule<string[]> {
  return {
    example: JSON.stringify(example),
    parse: (text) => {
      const items = parseStringArray(text);
      if (!items) return fail(`must be a list of ${item.describe}`);
      const values: string[] = [];
      const reasons: string[] = [];
      items.forEach((raw, index) => {
        const result = item.check(raw);
        if (result.ok) values.push(result.value);
        else reasons.push(`item ${index} ${result.rule}`);
      });
      return reasons.length
        ? fail(`must be a list of ${item.describe}; ${reasons.join("; ")}`)
        : pass([...new Set(values)]);
    },
  };
}

/** An Entra object id; normalised to lower case. */
export const objectId: ItemRule = {
  describe: "Entra object ids (GUIDs)",
  check: (item) => (isGuid(item) ? pass(item.toLowerCase()) : fail("is not a GUID")),
};

/** An IPv4 address or CIDR range whose host bits are zero. */
export const ipv4Range: ItemRule = {
  describe: "IPv4 addresses or CIDR ranges",
  check: (item) => {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(item);
    const octets = match ? match.slice(1, 5).map(Number) : [];
    const prefix = match?.[5] === undefined ? 32 : Number(match[5]);
    const wellFormed =
      match !== null &&
      octets.every((o, i) => o <= 255 && String(o) === match[i + 1]) &&
      prefix <= 32 &&
      (match[5] === undefined || String(prefix) === match[5]);
    if (!wellFormed) return fail("is not an IPv4 address or CIDR range");
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    const network = Math.floor(address / size) * size;
    if (network !== address) return fail("has host bits set: the address must be the first of its CIDR range");
    return pass(item);
  },
};

/** A customer's Entra tenant id; normalised to lower case. */
export const customerTenantId: ItemRule = {
  describe: "customer tenant ids (GUIDs)",
  check: (item) => (isGuid(item) ? pass(item.toLowerCase()) : fail("is not a GUID")),
};

/** An Entra built-in role, by display name (e.g. `User Administrator`) or role template id; normalised to the template id. */
export const gdapRole: ItemRule = {
  describe: "Entra built-in role names or role template ids",
  check: (item) => {
    const id = roleTemplateId(item);
    if (id) return pass(id);
    const near = closestRoleName(item);
    return fail(`is not an Entra built-in role name${near ? ` (did you mean "${near}"?)` : ""}; pass the role template id for a role not listed`);
  },
};

/** A delegated Microsoft Graph scope name such as `DelegatedAdminRelationship.ReadWrite.All`. */
export const graphScopeName: ItemRule = {
  describe: "Microsoft Graph delegated scope names",
  check: (item) => (/^[A-Za-z][A-Za-z0-9_.-]*$/.test(item) ? pass(item) : fail("is not a scope name")),
};

/** An e-mail address for an action group's e-mail receiver. */
export const emailAddress: ItemRule = {
  describe: "e-mail addresses",
  check: (item) => (item.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(item) ? pass(item) : fail("is not an e-mail address")),
};

/**
 * An https webhook URL for an action group's webhook receiver. Never quoted in
 * a problem: a webhook URL is a credential.
 */
export const httpsWebhook: ItemRule = {
  describe: "https:// webhook URLs",
  check: (item) => {
    const url = parseUrl(item);
    if (!url || url.protocol !== "https:") return fail("is not an https:// URL");
    if (url.username || url.password) return fail("carries a user name or password");
    return pass(item);
  },
};

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function parseStringArray(text: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}
