/**
 * The options of the commands that work across customers (`customers`,
 * `call --customers`): which customers (`--customer`, `--exclude`,
 * `--from-file`, `--shard`) and how (`--concurrency`, `--max-failures`),
 * declared and validated once here.
 */
import type { Command } from "commander";
import { customerRefProblem, readCustomerFile } from "../fleet/selection";
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from "../fleet/pool";
import { parseShard, type Shard } from "../fleet/shard";
import type { OptionProblems } from "./options";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `--exclude`, `--shard`, `--concurrency`, `--max-failures`; with `select`, also `--customer` and `--from-file`. */
export function addFleetOptions(command: Command, options: { select: boolean }): Command {
  if (options.select) {
    command
      .option("--customer <id|domain>", "only this customer (tenant id or domain), repeatable; default config customerInclude, else every customer", collect)
      .option("--from-file <file>", "only the customers listed in FILE: one tenant id or domain per line, # starts a comment");
  }
  return command
    .option("--exclude <id|domain>", "leave this customer out (tenant id or domain), repeatable; added to config customerExclude", collect)
    .option("--shard <I/N>", "only the customers in shard I of N (a stable hash of the tenant id), to split an estate across machines")
    .option("--concurrency <n>", `customers in flight at once, 1 to ${MAX_CONCURRENCY}`, String(DEFAULT_CONCURRENCY))
    .option("--max-failures <n>", "stop starting new customers after N failed ones (default: no limit)");
}

/** The validated fleet options. */
export interface FleetFlags {
  include?: string[];
  exclude?: string[];
  shard?: Shard;
  concurrency: number;
  maxFailures?: number;
}

/** Validates the fleet options, recording problems (all at once, exit 2). */
export function resolveFleetFlags(command: Command, problems: OptionProblems): FleetFlags {
  const flags = command.opts<{ customer?: string[]; fromFile?: string; exclude?: string[]; shard?: string; concurrency?: string; maxFailures?: string }>();
  const include: string[] = [];
  for (const value of flags.customer ?? []) {
    const problem = customerRefProblem("--customer", value);
    if (problem) problems.add(problem);
    else include.push(value.trim());
  }
  if (flags.fromFile !== undefined) {
    const { values, problems: fileProblems } = readCustomerFile(flags.fromFile);
    fileProblems.forEach((p) => problems.add(p));
    include.push(...values);
  }
  const exclude: string[] = [];
  for (const value of flags.exclude ?? []) {
    const problem = customerRefProblem("--exclude", value);
    if (problem) problems.add(problem);
    else exclude.push(value.trim());
  }
  let shard: Shard | undefined;
  if (flags.shard !== undefined) {
    const parsed = parseShard(flags.shard);
    if (typeof parsed === "string") problems.add(parsed);
    else shard = parsed;
  }
  const concurrency = problems.integer("--concurrency", flags.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY);
  const maxFailures = flags.maxFailures === undefined ? undefined : problems.integer("--max-failures", flags.maxFailures, 1, 1, 1_000_000);
  return { include: include.length ? include : undefined, exclude: exclude.length ? exclude : undefined, shard, concurrency, maxFailures };
}
