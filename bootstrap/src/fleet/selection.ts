/**
 * Which customers a run covers: `--customer ID|domain` (repeatable),
 * `--exclude ID|domain`, `--from-file FILE` (one per line, `#` comments), the
 * stack's `customerInclude` / `customerExclude` (tenant ids) and `--shard I/N`.
 * The same rules for `customers`, `call --customers` and `consent --all`.
 */
import { readFileSync } from "node:fs";
import { inShard, type Shard } from "./shard";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** A customer as the estate knows it (Partner Center's list merged with the GDAP relationships). */
export interface FleetCustomer {
  /** The customer's Entra tenant id (lowercase GUID). */
  tenantId: string;
  displayName: string;
  /** The customer's default (or first known) domain, when known. */
  domain?: string;
  /** Listed by Partner Center's `GET /v1/customers`. */
  inPartnerCenter: boolean;
}

/** What the user and the stack asked for. */
export interface CustomerSelection {
  /** Tenant ids or domains; empty = every customer. */
  include?: readonly string[];
  /** Tenant ids or domains to leave out. */
  exclude?: readonly string[];
  shard?: Shard;
}

/** True for a tenant id (GUID) or a domain name such as contoso.onmicrosoft.com. */
export function isCustomerRef(value: string): boolean {
  return GUID.test(value) || DOMAIN.test(value);
}

/** The problem with a `--customer`/`--exclude` value, or undefined when it is a tenant id or domain. */
export function customerRefProblem(option: string, value: string): string | undefined {
  if (isCustomerRef(value.trim())) return undefined;
  return `${option} must be a customer tenant id (a GUID) or a domain such as contoso.onmicrosoft.com, got ${JSON.stringify(value.slice(0, 80))}`;
}

/**
 * Reads `--from-file`: one tenant id or domain per line; blank lines and text
 * after `#` are ignored. Problems name the file and line, every one at once.
 */
export function readCustomerFile(file: string, option = "--from-file"): { values: string[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "it does not exist" : code === "EISDIR" ? "it is a folder" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    return { values: [], problems: [`${option} ${file}: cannot read the file (${why})`] };
  }
  if (text.includes("\0")) return { values: [], problems: [`${option} ${file}: the file is binary, expected one tenant id or domain per line`] };
  return parseCustomerLines(text.replace(/^\uFEFF/, ""), `${option} ${file}`);
}

/** Parses one-per-line text (see {@link readCustomerFile}). */
export function parseCustomerLines(text: string, where: string): { values: string[]; problems: string[] } {
  const values: string[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    if (isCustomerRef(line)) values.push(line);
    else if (problems.length < 5) problems.push(`${where}, line ${i + 1}: expected a tenant id or domain, got ${JSON.stringify(line.slice(0, 60))}`);
    else if (problems.length === 5) problems.push(`${where}: more lines are not tenant ids or domains`);
  });
  if (values.length === 0 && problems.length === 0) problems.push(`${where}: the file names no customer (one tenant id or domain per line)`);
  return { values, problems };
}

/** Whether `ref` (tenant id or domain) names `customer`. */
export function matches(customer: FleetCustomer, ref: string): boolean {
  const r = ref.trim().toLowerCase();
  return customer.tenantId.toLowerCase() === r || (customer.domain !== undefined && customer.domain.toLowerCase() === r);
}

/** The customers a run covers, in the estate's order, and the named ones the estate does not have. */
export function selectCustomers(estate: readonly FleetCustomer[], selection: CustomerSelection): { selected: FleetCustomer[]; unknown: string[] } {
  const include = [...new Set((selection.include ?? []).map((r) => r.trim().toLowerCase()))];
  const exclude = (selection.exclude ?? []).map((r) => r.trim().toLowerCase());
  const unknown = include.filter((ref) => !estate.some((c) => matches(c, ref)));
  const selected = estate.filter(
    (c) => (include.length === 0 || include.some((ref) => matches(c, ref))) && !exclude.some((ref) => matches(c, ref)) && inShard(c.tenantId, selection.shard),
  );
  return { selected, unknown };
}
