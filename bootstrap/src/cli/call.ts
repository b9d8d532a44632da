import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { HTTP_METHODS, type HttpMethod } from "../partner-center/api-client";
import type { CallFlowOptions } from "../flows/call-flow";
import { ExitCode } from "../core/errors";
import { terminalSafe } from "./reporter";
import { describeValue } from "../core/validate";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addFleetOptions, resolveFleetFlags } from "./fleet-options";
import type { FanOutFlowOptions } from "../flows/fan-out-flow";
import { parseCustomerLines, readCustomerFile } from "../fleet/selection";
import { addEndpointOptions, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults, addGraphEndpointOption } from "./shared-options";
import { addTokenCacheOptions, resolveTokenCacheOptions } from "./token-cache-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 120 };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Header names as HTTP defines them (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the command sets itself. */
const RESERVED_HEADERS = new Set(["authorization", "host", "ms-requestid", "ms-correlationid", "content-length"]);

/** What `call` runs with: one request, or (`--customers`) the same request in many customer tenants. */
export type CallCommandOptions = CallFlowOptions | (Omit<FanOutFlowOptions, "onLine"> & { fanOut: true; reporter: import("./reporter").Reporter });

/** `--timeout` default with `--customers` (s): a whole estate takes longer than one call. */
const FAN_OUT_TIMEOUT = 900;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `partner-center-sam call`: declares and validates the flags, then hands the
 * options to `runF` (default {@link callRun}). Progress goes to stderr only when
 * it is a terminal; the response body is the only thing on stdout.
 */
export function callCommand(runF: (options: CallCommandOptions) => Promise<number> = callRun): Command {
  const command = new Command("call")
    .summary("call the Partner Center (or Graph) REST API with the stored identity, like `az rest`")
    .description(
      "Send one request with an access token from the stored refresh token and print the response body on stdout " +
        "(pretty JSON on a terminal, compact otherwise). A path starting with / is relative to the Partner Center endpoint; " +
        "an https URL on Partner Center's host or on Microsoft Graph gets that service's token; any other host needs --scope, " +
        "so a token never goes to a host you did not name. 429 and 5xx are retried (Retry-After honoured); on failure the " +
        "status, the service's error and the MS-RequestId / MS-CorrelationId go to stderr.",
    )
    .argument("<path-or-url>", "e.g. /v1/customers or https://graph.microsoft.com/v1.0/organization")
    .addOption(new Option("--method <method>", "HTTP method").choices([...HTTP_METHODS]).default("GET"))
    .option("--body <json>", "request body: JSON, or @FILE to read it from a file")
    .option("--header <name:value>", "an extra request header, repeatable", collect)
    .option("--all", "follow every next page (Partner Center links.next, Graph @odata.nextLink) and print one document with all items")
    .option("--tenant <tenant>", "a customer tenant (id or verified domain) to get the token in; default the partner's own tenant")
    .option("--scope <scope>", "the token's scope, repeatable: graph, partner-center or a full scope URI (default: inferred from the host)", collect)
    .option("--customers <all|ID,...|@FILE>", `run the request in every selected customer tenant and print one NDJSON line per customer (--timeout default ${FAN_OUT_TIMEOUT})`);
  addFleetOptions(command, { select: false });
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  addGraphEndpointOption(command);
  addWaitOptions(command, WAIT);
  addTokenCacheOptions(command);
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const target = cmd.args[0] ?? "";
      const flags = cmd.opts<{ method: string; body?: string; header?: string[]; all?: boolean; tenant?: string; scope?: string[]; customers?: string }>();
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      const fleet = resolveFleetFlags(cmd, problems);
      const customers = flags.customers === undefined ? undefined : parseCustomersFlag(flags.customers, problems);
      if (flags.customers !== undefined && flags.tenant !== undefined) problems.add("--customers and --tenant are alternatives: pass one of them");
      if (flags.customers === undefined) {
        for (const name of ["exclude", "shard", "maxFailures"] as const) {
          if (cmd.getOptionValueSource(name) === "cli") problems.add(`--${name === "maxFailures" ? "max-failures" : name} works with --customers only`);
        }
        if (cmd.getOptionValueSource("concurrency") === "cli") problems.add("--concurrency works with --customers only");
      }
      const caching = resolveTokenCacheOptions(cmd, problems);
      const headers: Record<string, string> = {};
      for (const raw of flags.header ?? []) {
        const at = raw.indexOf(":");
        const name = at > 0 ? raw.slice(0, at).trim() : "";
        if (!HEADER_NAME.test(name)) problems.add(`--header must be NAME:VALUE, got ${describeValue(raw)}`);
        else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.add(`--header ${name} is set by the command itself and cannot be given`);
        else if (/[\r\n\0]/.test(raw)) problems.add(`--header ${name}: the value cannot contain line breaks`);
        else headers[name] = raw.slice(at + 1).trim();
      }
      const body = flags.body === undefined ? undefined : readBody(flags.body, problems);
      const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1];
      if (body !== undefined && (contentType === undefined || /json/i.test(contentType))) {
        try {
          JSON.parse(body);
        } catch {
          problems.add("--body is not valid JSON (pass --header Content-Type:... to send something else)");
        }
      }
      for (const scope of flags.scope ?? []) {
        if (scope !== "graph" && scope !== "partner-center" && !/^(https|api):\/\/[^\s/]+\/?\S*$/.test(scope)) {
          problems.add(`--scope must be graph, partner-center or a full scope URI such as https://graph.microsoft.com/.default, got ${describeValue(scope)}`);
        }
      }
      if (flags.tenant !== undefined && !GUID.test(flags.tenant) && !DOMAIN.test(flags.tenant)) {
        problems.add(`--tenant must be a tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com, got ${describeValue(flags.tenant)}`);
      }
      if (flags.all && flags.method !== "GET") problems.add("--all follows pages of a GET; it cannot be combined with --method " + flags.method);
      problems.throwIfAny();
      if (customers !== undefined) {
        const timeoutMs = cmd.getOptionValueSource("timeout") === "default" ? FAN_OUT_TIMEOUT * 1000 : shared.timeoutMs;
        return runF({
          ...shared,
          timeoutMs,
          fanOut: true,
          customers,
          exclude: fleet.exclude,
          shard: fleet.shard,
          concurrency: fleet.concurrency,
          maxFailures: fleet.maxFailures,
          target,
          method: flags.method as HttpMethod,
          body,
          headers,
          all: flags.all === true,
          scopes: flags.scope,
          progress: reporter,
          reporter,
          signal,
        });
      }
      return runF({
        ...shared,
        ...caching,
        target,
        method: flags.method as HttpMethod,
        body,
        headers,
        all: flags.all === true,
        tenantId: flags.tenant,
        scopes: flags.scope,
        progress: reporter,
        signal,
      });
    },
    { cancelOnSignals: true, progress: process.stderr.isTTY === true },
  );
}

/** `--customers all`, `ID,ID,…` (tenant ids or domains) or `@FILE` (one per line). */
function parseCustomersFlag(value: string, problems: OptionProblems): "all" | string[] {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === "all") return "all";
  const { values, problems: found } = trimmed.startsWith("@") ? readCustomerFile(trimmed.slice(1), "--customers @FILE") : parseCustomerLines(trimmed.split(",").join("\n"), "--customers");
  found.forEach((p) => problems.add(p.replace(/, line (\d+)/, trimmed.startsWith("@") ? ", line $1" : " (item $1)")));
  return values;
}

function readBody(value: string, problems: OptionProblems): string | undefined {
  if (!value.startsWith("@")) return value;
  try {
    return readFileSync(value.slice(1), "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    problems.add(`--body ${value}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
    return undefined;
  }
}

/** Runs the call flow and prints the response body on stdout: pretty JSON on a terminal, compact otherwise. */
export async function callRun(options: CallCommandOptions): Promise<number> {
  if ("fanOut" in options) return fanOutRun(options);
  const { runCall } = await import("../flows/call-flow.js");
  const result = await runCall(options);
  const tty = process.stdout.isTTY === true;
  // `call … | head` closes the pipe early: that is the reader's choice, not a failure to report.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  if (result.body !== undefined) {
    const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body, null, tty ? 2 : undefined);
    // On a terminal, text from the service cannot move the cursor or reorder the screen; piped output stays byte-exact.
    process.stdout.write(`${tty ? terminalSafe(text) : text}\n`);
  }
  return ExitCode.Ok;
}

/** `call --customers`: one NDJSON line per customer on stdout as it completes; exit 1 (naming them on stderr) when any failed. */
async function fanOutRun(options: Extract<CallCommandOptions, { fanOut: true }>): Promise<number> {
  const { runFanOut } = await import("../flows/fan-out-flow.js");
  const { reporter } = options;
  const result = await runFanOut({ ...options, onLine: (line) => reporter.result([JSON.stringify(line)], line) });
  if (result.failed.length === 0) {
    reporter.note(`✔ ${result.succeeded} of ${result.total} customer${result.total === 1 ? "" : "s"} answered.`);
    return ExitCode.Ok;
  }
  const names = result.failed.slice(0, 20).map((f) => `${f.displayName} (${f.tenantId}, ${f.code})`);
  reporter.warn(`The call failed in ${result.failed.length} of ${result.total} customer tenants: ${names.join(", ")}${result.failed.length > 20 ? ", …" : ""}.`);
  return ExitCode.Failure;
}
