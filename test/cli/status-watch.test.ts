/**
 * `status` as the watch on the watcher: an overdue refresh (`--max-age-days`)
 * needs attention even while the token is far from expiry, and `--json`
 * reports the stack's expiry alerts and whether the current secret versions
 * raise their events.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { runCli, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
freshStandInsPerTest((started) => (s = started));

const ACTION_GROUP = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-pcsam/providers/microsoft.insights/actionGroups/ag-pcsam";
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

function status(args: string[], outputs: Record<string, unknown> = {}): Promise<CliResult> {
  return runCli("status", ["--outputs", writeOutputsFile(s, outputs), ...args], s.childEnv());
}

describe("status and an overdue refresh", () => {
  it("exits 3 when the token was stored more than 8 days ago, with the fix `refresh` and the scheduled refresh", async () => {
    seedRefreshToken(s, { updatedOn: daysAgo(10) });

    const result = await status(["--json"]);

    expect(result.code, result.stderr).toBe(3);
    const report = jsonStdout(result);
    expect(report).toMatchObject({
      healthy: false,
      maxAgeDays: 8,
      refreshToken: { state: "ok", refreshAgeDays: 10, daysToExpiry: 79 },
      actions: [
        {
          secret: s.outputs.secretNames.refreshToken,
          problem: "refresh overdue: last stored 10 days ago, more than 8 (--max-age-days)",
          fix: expect.stringMatching(/^partner-center-sam refresh, and check the scheduled refresh/),
        },
      ],
    });
    const human = await status([]);
    expect(human.stdout).toContain("stored 10 days ago");
    expect(human.stdout).toMatch(/! partnercenter-refresh-token: refresh overdue: .* Fix: partner-center-sam refresh, and check the scheduled refresh/);
  });

  it("follows --max-age-days, and refuses a value outside 1–89 with exit 2", async () => {
    seedRefreshToken(s, { updatedOn: daysAgo(10) });
    const relaxed = await status(["--max-age-days", "30"]);
    expect(relaxed.code, relaxed.stderr).toBe(0);

    const fresh = await status(["--max-age-days", "9", "--json"]);
    expect(fresh.code).toBe(3);
    expect(jsonStdout(fresh).maxAgeDays).toBe(9);

    const bad = await status(["--max-age-days", "0", "--warn-days", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-age-days must be a whole number from 1 to 89");
    expect(bad.stderr).toContain("--warn-days must be a whole number");
  });

  it("stays healthy for a token refreshed today", async () => {
    seedRefreshToken(s);
    const result = await status(["--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ healthy: true, refreshToken: { refreshAgeDays: 0 } });
  });
});

describe("status and the stack's expiry alerts", () => {
  it("reports alerts not configured for a stack without them", async () => {
    seedRefreshToken(s);
    const report = jsonStdout(await status(["--json"]));
    expect(report.alerts).toEqual({ configured: false, actionGroupId: null, since: null, covered: null, uncovered: [], hint: null });
  });

  it("reports the action group, and that the current versions are covered when written after the alerts began", async () => {
    seedRefreshToken(s);
    const result = await status(["--json"], { alertActionGroupId: ACTION_GROUP, alertsSince: daysAgo(1).toISOString() });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result).alerts).toMatchObject({ configured: true, actionGroupId: ACTION_GROUP, covered: true, uncovered: [], hint: null });
  });

  it("says `run refresh once` when the stored token predates the alerts, without changing the exit code", async () => {
    seedRefreshToken(s, { updatedOn: daysAgo(3) });
    const result = await status(["--json"], { alertActionGroupId: ACTION_GROUP, alertsSince: daysAgo(1).toISOString() });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result).alerts).toMatchObject({
      configured: true,
      covered: false,
      uncovered: [s.outputs.secretNames.refreshToken],
      hint: expect.stringContaining("run `partner-center-sam refresh` once"),
    });
    const human = await status([], { alertActionGroupId: ACTION_GROUP, alertsSince: daysAgo(1).toISOString() });
    expect(human.stdout).toContain(`Expiry alerts: on since ${daysAgo(1).toISOString().slice(0, 10)}`);
    expect(human.stdout).toContain(`NOT covered: ${s.outputs.secretNames.refreshToken}`);
  });

  it("cannot know about alerts with --vault-uri alone, and says so", async () => {
    seedRefreshToken(s);
    const result = await runCli("status", ["--vault-uri", s.vault.url, "--json"], s.childEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result).alerts).toMatchObject({ configured: null, actionGroupId: null });
  });

  it("refuses a malformed alertActionGroupId output as a stack-outputs problem (exit 2)", async () => {
    const result = await status([], { alertActionGroupId: "not-an-id" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("alertActionGroupId is");
  });
});
