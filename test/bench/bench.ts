/**
 * `npm run bench`: runs the real commands and the token provider against the
 * local stand-ins and prints medians (with min and max) over repeated runs,
 * next to `node -e 0` measured in the same run and the targets of the issue.
 * A script, not a test: it never fails on a missed target, it reports it.
 *
 * It makes the per-run CA with the vitest global setup. Node reads
 * NODE_EXTRA_CA_CERTS only at start-up, so the script then runs itself again
 * as a child that trusts the CA (the in-process provider needs that).
 */
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { createTokenProvider, type TokenProvider } from "partner-center-sam";
import { removeScratchDirs, scratchDir, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import setup from "../support/global-setup";
import { forbiddenModules, loadedModules, withModuleRecorder } from "../support/loaded-modules";
import { CLI_MAIN, runCli, startCli, type CliName } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";
import { freeLoopbackPort } from "../support/free-port";
import { fleetRows } from "./fleet-bench";

const RUNS = 7;
/** Cached calls per warm sample. */
const WARM_CALLS = 20_000;
const CONCURRENT = 100;
/** Runs of the whole unattended demo (each starts its own emulator and runs six commands). */
const DEMO_RUNS = 3;
const CHILD_FLAG = "PCSAM_BENCH_CHILD";
/** Customers of the emulator start-up benchmark (issue 15: under 5 s for 500). */
const ESTATE = 500;

interface Row {
  name: string;
  /** Samples, in ms (or µs for per-call rows, see `unit`). */
  samples: number[];
  unit: "ms" | "µs";
  /** Upper bound in `unit`; undefined for reference rows. */
  target?: number;
  /** Upper bound as a multiple of `node -e 0`'s median (ms rows only). */
  ratioTarget?: number;
  /** `node -e 0` samples taken right before each of this row's samples (the ratio's base); default the baseline row's. */
  baseline?: number[];
  note?: string;
}

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function format(value: number, unit: Row["unit"]): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ${unit}`;
}

/**
 * Like {@link repeat}, with a `node -e 0` run right before each sample: on a
 * machine whose load changes from minute to minute, a row's ratio is then taken
 * against the baseline of the same moments.
 */
async function paired(runs: number, env: Record<string, string>, sample: (run: number) => Promise<number>): Promise<{ samples: number[]; baseline: number[] }> {
  const baseline: number[] = [];
  const samples = await repeat(runs, async (run) => {
    baseline.push(await nodeBaseline(env));
    return sample(run);
  });
  return { samples, baseline };
}

async function repeat(runs: number, sample: (run: number) => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) samples.push(await sample(run));
  return samples;
}

/** Spawn to exit of `node -e 0`, with the same environment the commands get. */
function nodeBaseline(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(elapsedMs(start)) : reject(new Error(`node -e 0 exited ${code}`))));
  });
}

/** Spawn of `bootstrap --no-browser` until its stderr shows the authorize URL; then stops it. */
async function timeToSignInUrl(s: StandIns, port: number, env: Record<string, string>): Promise<number> {
  const outputs = writeOutputsFile(s, { redirectUri: `http://localhost:${port}/` });
  const start = process.hrtime.bigint();
  const cli = startCli("bootstrap", ["--outputs", outputs, "--no-browser"], env);
  await cli.waitForStderr(/\/oauth2\/v2\.0\/authorize\?\S+/);
  const ms = elapsedMs(start);
  cli.child.kill("SIGTERM");
  await cli.done;
  return ms;
}

/** `emulator --customers <n> --json` from spawn until it has printed its endpoints (the estate is served), then stopped. */
async function timeEmulatorStart(customers: number, env: Record<string, string>): Promise<number> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI_MAIN, "emulator", "--customers", String(customers), "--json"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const ms = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      if (stdout.trimEnd().endsWith("}")) resolve(elapsedMs(start));
    });
    void exited.then((code) => reject(new Error(`emulator exited ${code} before it was ready:\n${stderr}`)));
  });
  child.kill("SIGINT");
  if ((await exited) !== 0) throw new Error(`emulator did not stop cleanly:\n${stderr}`);
  return ms;
}

/** Spawn to exit of the bundle with raw arguments (`--version`, `--help`); it must exit 0. */
function timeBin(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(elapsedMs(start)) : reject(new Error(`partner-center-sam ${args.join(" ")} exited ${code}`))));
  });
}

/** One end-to-end command run; it must exit 0. */
async function timeCommand(name: CliName, args: string[], env: Record<string, string>): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await runCli(name, args, env);
  const ms = elapsedMs(start);
  if (result.code !== 0) throw new Error(`${name} exited ${result.code}:\n${result.stderr}`);
  return ms;
}

function provider(s: StandIns): TokenProvider {
  return createTokenProvider({
    keyVaultUri: s.vault.url,
    credential: s.entra.credential(),
    authorityHost: s.entra.url,
    partnerCenterEndpoint: s.partnerCenter.url,
  });
}

/** Loads of @pulumi/*, TypeScript or .ts sources by one run of each command (empty lists = none). */
async function moduleCheck(s: StandIns, outputs: string): Promise<Array<{ command: string; modules: number; forbidden: string[] }>> {
  const checks: Array<{ command: string; modules: number; forbidden: string[] }> = [];
  for (const name of ["bootstrap", "refresh", "status"] as const) {
    const file = path.join(scratchDir(), `${name}.modules`);
    const env = withModuleRecorder(s.childEnv(), file);
    if (name === "bootstrap") {
      const cli = startCli(name, ["--outputs", writeOutputsFile(s, { redirectUri: `http://localhost:${freeLoopbackPort()}/` }), "--no-browser"], env);
      await cli.waitForStderr(/\/oauth2\/v2\.0\/authorize\?\S+/);
      cli.child.kill("SIGTERM");
      await cli.done;
    } else {
      await timeCommand(name, ["--outputs", outputs], env);
    }
    const modules = loadedModules(file);
    checks.push({ command: name, modules: modules.length, forbidden: forbiddenModules(modules) });
  }
  return checks;
}

function printTable(rows: Row[], baselineMs: number): void {
  const header = ["measurement", "runs", "median", "min", "max", "× node -e 0 (same moments)", "target", "result"];
  const lines = rows.map((row) => {
    const med = median(row.samples);
    const ratio = row.unit === "ms" ? med / (row.baseline ? median(row.baseline) : baselineMs) : undefined;
    const target =
      row.ratioTarget !== undefined ? `≤ ${row.ratioTarget}×` : row.target === undefined ? "(reference)" : `${row.unit === "µs" ? "<" : "≤"} ${format(row.target, row.unit)}`;
    // Per-call targets are strict ("under 0.1 ms"), end-to-end ones inclusive ("within 1.5 s").
    const met =
      row.ratioTarget !== undefined ? ratio! <= row.ratioTarget : row.target !== undefined && (row.unit === "µs" ? med < row.target : med <= row.target);
    const result = row.target === undefined && row.ratioTarget === undefined ? "" : met ? "PASS" : "MISS";
    return [row.name, String(row.samples.length), format(med, row.unit), format(Math.min(...row.samples), row.unit), format(Math.max(...row.samples), row.unit), ratio === undefined ? "" : `${ratio.toFixed(2)}×`, target, result];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(render(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const line of lines) console.log(render(line));
  for (const row of rows) if (row.note) console.log(`  ${row.name}: ${row.note}`);
}

async function benchmark(): Promise<void> {
  const s = await startStandIns();
  try {
    const env = s.childEnv();
    const outputs = writeOutputsFile(s);
    seedRefreshToken(s);
    const cpus = os.cpus();
    console.log(`partner-center-sam benchmark — Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model.trim() ?? "unknown"}), ${os.platform()} ${os.release()}`);
    console.log(`${RUNS} runs each against the emulator; child processes get the same environment (CA, managed identity, loopback guard preload).\n`);

    // Warm-up (disk cache, JIT of the stand-ins); not counted.
    await nodeBaseline(env);
    await timeCommand("status", ["--outputs", outputs], env);

    const baseline = await repeat(RUNS, () => nodeBaseline(env));
    const signIn = await repeat(RUNS, () => timeToSignInUrl(s, freeLoopbackPort(), env));
    // Each refresh rotates the token and stores the new one, so the runs chain.
    const refresh = await paired(RUNS, env, () => timeCommand("refresh", ["--outputs", outputs], env));
    const status = await paired(RUNS, env, () => timeCommand("status", ["--outputs", outputs], env));
    const version = await paired(RUNS, env, () => timeBin(["--version"], env));
    const help = await paired(RUNS, env, () => timeBin(["--help"], env));
    const tokenHelp = await paired(RUNS, env, () => timeBin(["token", "--help"], env));

    // `token` with the shared cache: cold (emptied first, not timed) and warm (filled), counting every request.
    const cached = s.childEnv({ PARTNER_CENTER_SAM_NO_CACHE: undefined });
    const requestsNow = () => s.entra.requests.length + s.vault.requests.length + s.partnerCenter.calls.length;
    const tokenCold = await paired(RUNS, env, async () => {
      await timeCommand("cache", ["clear"], cached);
      return timeCommand("token", ["--outputs", outputs], cached);
    });
    // The same without the compiled code of the last run: what a first command after an install or upgrade costs.
    const tokenFirst = await paired(RUNS, env, async () => {
      await timeCommand("cache", ["clear"], cached);
      return timeCommand("token", ["--outputs", outputs], { ...cached, NODE_DISABLE_COMPILE_CACHE: "1" });
    });
    const beforeWarmTokens = requestsNow();
    const tokenWarm = await paired(RUNS, env, () => timeCommand("token", ["--outputs", outputs], cached));
    const warmTokenRequests = requestsNow() - beforeWarmTokens;
    const call = await paired(RUNS, env, () => timeCommand("call", ["/v1/profiles/organization", "--outputs", outputs, "--no-cache"], env));
    const cacheClear = await paired(RUNS, env, () => timeCommand("cache", ["clear"], cached));

    // Ten `token` calls in a row, cache emptied first, with the stored refresh token a day old and an hour old.
    const tenInARow: string[] = [];
    const ten = await repeat(2, async (run) => {
      const age = run === 0 ? 25 * 60 * 60 * 1000 : 60 * 60 * 1000;
      seedRefreshToken(s, { updatedOn: new Date(Date.now() - age) });
      await timeCommand("cache", ["clear"], cached);
      const tokens = s.entra.tokenRequests.length;
      const writes = s.vault.writeCount;
      const start = process.hrtime.bigint();
      for (let i = 0; i < 10; i++) await timeCommand("token", ["--outputs", outputs], cached);
      const ms = elapsedMs(start);
      tenInARow.push(`stored ${run === 0 ? "25 h" : "1 h"} ago: ${s.entra.tokenRequests.length - tokens} token request(s), ${s.vault.writeCount - writes} vault write(s), ${ms.toFixed(0)} ms`);
      return ms;
    });

    const cold = await repeat(RUNS, async () => {
      const p = provider(s);
      const start = process.hrtime.bigint();
      await p.getAccessToken();
      return elapsedMs(start);
    });

    const warmProvider = provider(s);
    await warmProvider.getAccessToken();
    const requestsBeforeWarm = s.entra.tokenRequests.length;
    const warm = await repeat(RUNS, async () => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < WARM_CALLS; i++) await warmProvider.getAccessToken();
      return (elapsedMs(start) * 1000) / WARM_CALLS;
    });
    const warmRequests = s.entra.tokenRequests.length - requestsBeforeWarm;

    const concurrentCounts: string[] = [];
    const concurrent = await repeat(RUNS, async () => {
      const p = provider(s);
      const requests = s.entra.tokenRequests.length;
      const writes = s.vault.writeCount;
      const start = process.hrtime.bigint();
      const tokens = await Promise.all(Array.from({ length: CONCURRENT }, () => p.getAccessToken()));
      const ms = elapsedMs(start);
      if (new Set(tokens).size !== 1) throw new Error("concurrent callers got different tokens");
      concurrentCounts.push(`${s.entra.tokenRequests.length - requests}/${s.vault.writeCount - writes}`);
      return ms;
    });

    const demo = await repeat(DEMO_RUNS, () => timeCommand("demo", ["--unattended"], env));
    const estate500 = await repeat(3, () => timeEmulatorStart(ESTATE, env));

    const fleet = await fleetRows(3);

    const baselineMs = median(baseline);
    printTable(
      [
        { name: "node -e 0 (baseline)", samples: baseline, unit: "ms" },
        { name: "--version", samples: version.samples, baseline: version.baseline, unit: "ms", ratioTarget: 1.5 },
        { name: "--help", samples: help.samples, baseline: help.baseline, unit: "ms", ratioTarget: 1.5 },
        { name: "token --help", samples: tokenHelp.samples, baseline: tokenHelp.baseline, unit: "ms", ratioTarget: 1.5 },
        { name: "bootstrap: start to sign-in URL ready", samples: signIn, unit: "ms", target: 1000 },
        { name: "refresh end to end", samples: refresh.samples, baseline: refresh.baseline, unit: "ms", ratioTarget: 4 },
        { name: "status end to end", samples: status.samples, baseline: status.baseline, unit: "ms", ratioTarget: 4 },
        { name: "token cold (cache empty)", samples: tokenCold.samples, baseline: tokenCold.baseline, unit: "ms", ratioTarget: 4, note: "compiled code of an earlier run in the cache folder; reads the secrets at once, one token request; writes back only if the stored token is a day old" },
        { name: "token cold, no compiled code (NODE_DISABLE_COMPILE_CACHE=1)", samples: tokenFirst.samples, baseline: tokenFirst.baseline, unit: "ms", note: "as the first command after an install or a Node upgrade" },
        { name: "token warm (cached)", samples: tokenWarm.samples, baseline: tokenWarm.baseline, unit: "ms", ratioTarget: 2, note: `${warmTokenRequests} request(s) to any service during all warm runs (target 0)` },
        { name: "call /v1/profiles/organization (--no-cache)", samples: call.samples, baseline: call.baseline, unit: "ms", note: "redeems, then one Partner Center call" },
        { name: "cache clear", samples: cacheClear.samples, baseline: cacheClear.baseline, unit: "ms", ratioTarget: 1.5 },
        { name: "10 × token in a row", samples: ten, unit: "ms", note: tenInARow.join("; ") + " (targets: 1 request + 1 write; 1 request + 0 writes)" },
        { name: "getAccessToken() cold", samples: cold, unit: "ms", note: "new provider: reads the secrets at once, redeems (writes back only when the stored token is a day old)" },
        { name: "getAccessToken() warm (per call)", samples: warm, unit: "µs", target: 100, note: `${WARM_CALLS} sequential awaited calls per run; ${warmRequests} token request(s) during all warm runs` },
        { name: `${CONCURRENT} concurrent cold getAccessToken()`, samples: concurrent, unit: "ms", note: `token requests/vault writes per run: ${concurrentCounts.join(", ")}` },
        { name: "npm run demo -- --unattended, whole", samples: demo, unit: "ms", target: 15_000, note: "its own emulator, then status, bootstrap, status, refresh, token, call" },
        { name: `emulator --customers ${ESTATE}: start to endpoints printed`, samples: estate500, unit: "ms", target: 5_000, note: "a new process: CA, four services, the estate in Entra, Partner Center and Graph" },
        ...fleet,
      ],
      baselineMs,
    );

    console.log(
      `\nCompiled code: the bin and azure-deps.js load with V8's compiled code of the last run on every Node (the cache folder's compiled/); Node's own compile cache (module.enableCompileCache) ${"enableCompileCache" in (await import("node:module")).default ? "is on this Node and is used for the other modules" : "is not in this Node (needs ≥ 22.1)"}.`,
    );
    console.log("\nModules loaded by each command (must include no @pulumi/*, TypeScript compiler/loader or .ts source):");
    for (const check of await moduleCheck(s, outputs)) {
      console.log(`  ${check.command.padEnd(9)} ${String(check.modules).padStart(4)} modules; forbidden: ${check.forbidden.length ? check.forbidden.join(", ") : "none"}`);
    }
  } finally {
    await s.stop();
    removeScratchDirs();
  }
}

async function main(): Promise<void> {
  if (process.env[CHILD_FLAG]) {
    await benchmark();
    return;
  }
  const teardown = setup();
  try {
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, [CHILD_FLAG]: "1" },
    });
    if (child.status !== 0) throw new Error(`the benchmark run failed (exit ${child.status ?? child.signal})`);
  } finally {
    teardown();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exit(1);
  },
);
