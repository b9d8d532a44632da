/**
 * Prints the reliability suite's table (case, expected, result) and totals
 * from the records the last run wrote, and with `--write-readme` puts the
 * totals into docs/reliability.md between its markers.
 * Exits 1 when a case failed or no records exist.
 *
 *   tsx test/reliability/report.ts [--write-readme]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CaseKind, CaseRecord } from "./harness";

const root = process.cwd();
const kinds: CaseKind[] = ["bad input", "fault"];

/** The totals line the README carries; also what `readme.test.ts` recomputes from the case tables. */
export function totalsLine(counts: Record<CaseKind, { total: number; passed: number }>): string {
  return kinds.map((k) => `${counts[k].passed} of ${counts[k].total} ${k === "bad input" ? "bad inputs" : "faults"} pass`).join(", ");
}

export const README_START = "<!-- reliability-totals:start -->";
export const README_END = "<!-- reliability-totals:end -->";

function main(): number {
  const records: CaseRecord[] = [];
  for (const kind of kinds) {
    const file = path.join(root, ".vitest-report", `reliability-${kind.replace(" ", "-")}.json`);
    if (!existsSync(file)) {
      process.stderr.write(`No results for "${kind}" cases at ${file}: run \`npm run test:reliability\`.\n`);
      return 1;
    }
    records.push(...(JSON.parse(readFileSync(file, "utf8")) as CaseRecord[]));
  }
  const width = (pick: (r: CaseRecord) => string, title: string) => Math.max(title.length, ...records.map((r) => pick(r).length));
  const caseText = (r: CaseRecord) => `${r.kind} · ${r.area}: ${r.name}`;
  const w = [width(caseText, "case"), width((r) => r.expected, "expected"), width((r) => r.result, "result")];
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  const lines = [row(["case", "expected", "result"]), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`];
  for (const r of records) lines.push(row([caseText(r), r.expected, r.passed ? r.result : `${r.result} ✖`]));
  const counts = Object.fromEntries(
    kinds.map((k) => [k, { total: records.filter((r) => r.kind === k).length, passed: records.filter((r) => r.kind === k && r.passed).length }]),
  ) as Record<CaseKind, { total: number; passed: number }>;
  const totals = totalsLine(counts);
  process.stdout.write(`${lines.join("\n")}\n\nTotals: ${totals}\n`);
  const passed = records.filter((r) => r.passed).length;
  process.stdout.write(`${passed} passed, ${records.length - passed} failed\n`);

  if (process.argv.includes("--write-readme")) {
    const readmePath = path.join(root, "docs", "reliability.md");
    const readme = readFileSync(readmePath, "utf8");
    const start = readme.indexOf(README_START);
    const end = readme.indexOf(README_END);
    if (start < 0 || end < start) {
      process.stderr.write(`docs/reliability.md has no ${README_START} … ${README_END} markers.\n`);
      return 1;
    }
    writeFileSync(readmePath, `${readme.slice(0, start + README_START.length)}\n${totals}.\n${readme.slice(end)}`);
    process.stdout.write("docs/reliability.md: reliability totals updated.\n");
  }
  return passed === records.length ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
