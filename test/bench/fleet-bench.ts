/**
 * The fleet rows of `npm run bench`: `customers` over 500 emulated customers,
 * `call --customers all` over 500 with one customer answering 429
 * `Retry-After: 2`, and the peak RSS of `customers --ndjson` for 500 and 5,000
 * customers (read by a preload in the child at exit, `process.resourceUsage().maxRSS`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generatedEstate } from "../../emulator/estate";
import { scratchDir, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { runCli } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

/** A row as bench.ts prints it. */
export interface FleetRow {
  name: string;
  samples: number[];
  unit: "ms";
  target?: number;
  note?: string;
}

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** An env whose child writes its peak RSS (MB) to `file` at exit. */
function withRssProbe(env: Record<string, string>): { env: Record<string, string>; read: () => number } {
  const dir = scratchDir();
  const out = path.join(dir, "maxrss");
  const probe = path.join(dir, "rss-probe.cjs");
  writeFileSync(probe, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  return { env: { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, `--require ${probe}`].filter(Boolean).join(" ") }, read: () => Math.round(Number(readFileSync(out, "utf8")) / 1024) };
}

async function estate(count: number): Promise<StandIns> {
  const s = await startStandIns({ customers: generatedEstate(count) });
  seedRefreshToken(s);
  return s;
}

const redemptions = (s: StandIns, tenantId: string) => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token" && r.tenantId === tenantId).length;

/** Runs the fleet measurements; `runs` samples of the 500-customer sweep. */
export async function fleetRows(runs: number): Promise<FleetRow[]> {
  const rows: FleetRow[] = [];
  const s500 = await estate(500);
  try {
    const env = s500.childEnv();
    const outputs = writeOutputsFile(s500);
    const sweep: number[] = [];
    const rss500: number[] = [];
    let counts = "";
    for (let run = 0; run < runs; run++) {
      const probe = withRssProbe(env);
      const before = { writes: s500.vault.writeCount, tokens: s500.entra.tokenRequests.length };
      const start = process.hrtime.bigint();
      const result = await runCli("customers", ["--outputs", outputs, "--ndjson"], probe.env);
      sweep.push(elapsedMs(start));
      if (result.code !== 0) throw new Error(`customers exited ${result.code}:\n${result.stderr.slice(0, 2000)}`);
      rss500.push(probe.read());
      counts = `${s500.entra.tokenRequests.length - before.tokens} token requests for 500 customers + 2 partner redemptions, ${s500.vault.writeCount - before.writes} vault writes (the 2 partner redemptions)`;
    }
    rows.push({ name: "customers --ndjson over 500 customers", samples: sweep, unit: "ms", target: 15_000, note: `default concurrency 8; ${counts}` });
    rows.push({ name: "customers --ndjson, 500: peak RSS (MB, not ms)", samples: rss500, unit: "ms", note: "maxRSS of the command's process in MB" });

    // One customer answers 429 Retry-After: 2 once: the whole run pauses on that host once.
    const throttled = s500.customers[17]!.tenantId;
    s500.emulator.graph.throttle(throttled, { retryAfterSeconds: 2, times: 1 });
    const callsBefore = s500.emulator.graph.calls.length;
    const tokensBefore = new Map(s500.customers.map((c) => [c.tenantId, redemptions(s500, c.tenantId)]));
    const writesBefore = s500.vault.writeCount;
    const start = process.hrtime.bigint();
    const call = await runCli("call", ["--outputs", outputs, "--customers", "all", `${s500.emulator.graphEndpoint}/v1.0/organization`], env);
    const callMs = elapsedMs(start);
    if (call.code !== 0) throw new Error(`call --customers exited ${call.code}:\n${call.stderr.slice(0, 2000)}`);
    const calls = s500.emulator.graph.calls.slice(callsBefore);
    const perCustomer = s500.customers.map((c) => redemptions(s500, c.tenantId) - tokensBefore.get(c.tenantId)!);
    rows.push({
      name: "call --customers all over 500, one 429 Retry-After: 2",
      samples: [callMs],
      unit: "ms",
      note:
        `${call.stdout.trim().split("\n").length} NDJSON lines; token requests per customer: ${Math.min(...perCustomer)}–${Math.max(...perCustomer)}; ` +
        `vault writes ${s500.vault.writeCount - writesBefore} (the partner's Partner Center redemption); Graph requests ${calls.length}, of them 429: ${calls.filter((c) => c.status === 429).length}`,
    });
  } finally {
    await s500.stop();
  }

  const s5000 = await estate(5000);
  try {
    const probe = withRssProbe(s5000.childEnv());
    const start = process.hrtime.bigint();
    const result = await runCli("customers", ["--outputs", writeOutputsFile(s5000), "--ndjson", "--timeout", "3600"], probe.env);
    const ms = elapsedMs(start);
    if (result.code !== 0) throw new Error(`customers (5,000) exited ${result.code}:\n${result.stderr.slice(0, 2000)}`);
    rows.push({ name: "customers --ndjson over 5,000 customers", samples: [ms], unit: "ms", note: `${result.stdout.trim().split("\n").length} lines` });
    rows.push({ name: "customers --ndjson, 5,000: peak RSS (MB, not ms)", samples: [probe.read()], unit: "ms", note: "maxRSS of the command's process in MB" });
  } finally {
    await s5000.stop();
  }
  return rows;
}
