/**
 * Notifications end to end: the built `status`, `refresh` and `notify`
 * commands posting to the emulator's webhook sink (a real HTTPS receiver on
 * loopback) — a Teams card, a Slack message and a signed JSON message, none
 * holding a secret or the webhook URL, and a receiver that is down never
 * changing the exit code.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DAY_MS, leakedSecrets, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { freeLoopbackPort } from "../support/free-port";
import { runCli, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
freshStandInsPerTest((started) => (s = started));

type Json = Record<string, unknown>;
const SIGNING_KEY = "test-signing-key-not-a-vault-secret";

function run(command: "status" | "refresh", args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(command, ["--outputs", writeOutputsFile(s), ...args], s.childEnv(env));
}

/** A refresh token that expires in 5 days (within the 14-day warning). */
function seedExpiringToken(): void {
  seedRefreshToken(s, { expiresOn: new Date(Date.now() + 5 * DAY_MS + 3600_000) });
}

/** The secret parts of a webhook URL: everything after the origin. */
function secretPart(target: string): string {
  const url = new URL(target.replace(/^(teams|slack)\+/, ""));
  return `${url.pathname}${url.search}`;
}

const origin = () => s.emulator.webhookSink.origin;

describe("status --notify", () => {
  it("posts a Teams card, a Slack message and a signed JSON message about an expiring token, with no secret and no webhook URL anywhere", async () => {
    seedExpiringToken();
    const targets = [s.emulator.webhookUrl("teams"), s.emulator.webhookUrl("slack"), s.emulator.webhookUrl("json")];

    const result = await run("status", ["--json", "--notify", targets[0]!, "--notify", targets[1]!], { PARTNER_CENTER_SAM_NOTIFY: targets[2], PARTNER_CENTER_SAM_NOTIFY_SECRET: SIGNING_KEY });

    expect(result.code, result.stderr).toBe(3);
    const report = jsonStdout(result);
    expect(report.notifications).toEqual([
      { target: `teams+${origin()}`, ok: true, error: null },
      { target: `slack+${origin()}`, ok: true, error: null },
      { target: origin(), ok: true, error: null },
    ]);
    const posts = s.emulator.webhooks;
    expect(posts.map((p) => [p.kind, p.status])).toEqual(expect.arrayContaining([["teams", 202], ["slack", 200], ["json", 204]]));
    expect(posts).toHaveLength(3);

    const teams = posts.find((p) => p.kind === "teams")!.body as Json;
    expect(teams).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", version: "1.4" } }] });
    const cardText = JSON.stringify(teams);
    expect(cardText).toContain("needs attention");
    expect(cardText).toContain(s.outputs.secretNames.refreshToken);
    expect(cardText).toContain("Fix: partner-center-sam refresh");

    const slack = posts.find((p) => p.kind === "slack")!.body as { text: string; blocks: Json[] };
    expect(slack.text).toMatch(/^partner-center-sam status: needs attention — vault pcsam-test-kv/);
    expect(slack.blocks[0]).toMatchObject({ type: "header" });
    expect(JSON.stringify(slack.blocks)).toContain("Fix: partner-center-sam refresh");

    const json = posts.find((p) => p.kind === "json")!;
    expect(json.body).toMatchObject({
      event: "attention",
      command: "status",
      exitCode: 3,
      stack: null,
      keyVaultUri: s.vault.url,
      actions: [expect.stringContaining(`${s.outputs.secretNames.refreshToken}: expires in 5 day(s)`)],
    });
    expect(Object.keys(json.body as Json).sort()).toEqual(["actions", "at", "command", "event", "exitCode", "keyVaultUri", "stack", "summary"]);
    const expected = `sha256=${createHmac("sha256", SIGNING_KEY).update(json.rawBody).digest("hex")}`;
    expect(json.headers["x-partner-center-sam-signature"]).toBe(expected);

    const bodies = posts.map((p) => p.rawBody);
    expect(leakedSecrets(s, bodies)).toEqual([]);
    for (const text of [...bodies, result.stdout, result.stderr]) {
      for (const target of targets) expect(text).not.toContain(secretPart(target));
      expect(text).not.toContain(SIGNING_KEY);
    }
  });

  it("keeps exit code 3 and reports each failed delivery when the receiver is down", async () => {
    seedExpiringToken();
    const down = `https://127.0.0.1:${freeLoopbackPort()}/hooks/very-secret-path`;

    const result = await run("status", ["--json", "--notify", down, "--notify", `slack+https://localhost:${freeLoopbackPort()}/services/T/B/secret-slack`]);

    expect(result.code, result.stderr).toBe(3);
    const notifications = jsonStdout(result).notifications as Json[];
    expect(notifications).toHaveLength(2);
    for (const n of notifications) expect(n).toMatchObject({ ok: false, error: "connection refused (ECONNREFUSED) (after 2 attempts)" });
    expect(notifications[0]!.target).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(result.stderr).toMatch(/! Notification to https:\/\/127\.0\.0\.1:\d+ failed: connection refused .*exit code are unchanged/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/very-secret-path|secret-slack/);
  });

  it("retries a failed post exactly once: one failure is delivered on the second attempt, two are reported", async () => {
    seedExpiringToken();
    s.emulator.webhookSink.failNext(1, 503);
    const first = await run("status", ["--json", "--notify", s.emulator.webhookUrl("json")]);
    expect(first.code).toBe(3);
    expect(jsonStdout(first).notifications).toEqual([{ target: origin(), ok: true, error: null }]);
    expect(s.emulator.webhooks.map((p) => p.status)).toEqual([503, 204]);

    s.emulator.webhookSink.failNext(5, 500);
    const second = await run("status", ["--json", "--notify", s.emulator.webhookUrl("json")]);
    expect(second.code).toBe(3);
    expect(jsonStdout(second).notifications).toEqual([{ target: origin(), ok: false, error: "the receiver answered HTTP 500 (after 2 attempts)" }]);
    expect(s.emulator.webhooks.map((p) => p.status)).toEqual([503, 204, 500, 500]);
  });

  it("sends nothing for a healthy vault by default, and an `ok` message with --notify-on always", async () => {
    seedRefreshToken(s);
    const quiet = await run("status", ["--notify", s.emulator.webhookUrl("json")]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(s.emulator.webhooks).toHaveLength(0);

    const loud = await run("status", ["--notify", s.emulator.webhookUrl("json"), "--notify-on", "always"]);
    expect(loud.code).toBe(0);
    expect(s.emulator.webhooks.map((p) => (p.body as Json).event)).toEqual(["ok"]);
  });

  it("notifies token_refused with the AADSTS code when --probe finds that Entra ID refuses the token", async () => {
    seedRefreshToken(s);
    s.entra.invalidateRefreshTokens({ username: s.users.admin.username, code: 50173 });

    const result = await run("status", ["--probe", "--notify", s.emulator.webhookUrl("json"), "--notify", s.emulator.webhookUrl("teams")]);

    expect(result.code, result.stderr).toBe(3);
    const json = s.emulator.webhooks.find((p) => p.kind === "json")!.body as Json;
    expect(json).toMatchObject({ event: "token_refused", exitCode: 3, aadsts: "AADSTS50173", actions: [expect.stringContaining("Fix: partner-center-sam bootstrap")] });
    expect(JSON.stringify(s.emulator.webhooks.find((p) => p.kind === "teams")!.body)).toContain("refresh token refused");
    expect(leakedSecrets(s, s.emulator.webhooks.map((p) => p.rawBody))).toEqual([]);
  });

  it("notifies a failure with the command's own error and hint (--notify-on failure)", async () => {
    const result = await run("status", ["--notify-on", "failure", "--notify", s.emulator.webhookUrl("json"), "--json"], {});
    // No refresh token at all: that is attention (exit 3), which --notify-on failure does not send.
    expect(result.code).toBe(3);
    expect(s.emulator.webhooks).toHaveLength(0);

    const broken = await runCli("status", ["--outputs", "/nonexistent/outputs.json", "--notify-on", "failure", "--notify", s.emulator.webhookUrl("json"), "--json"], s.childEnv());
    expect(broken.code).toBe(2);
    expect(jsonStdout(broken)).toMatchObject({ ok: false, error: { code: "outputs_file_unreadable" }, notifications: [{ target: origin(), ok: true, error: null }] });
    expect(s.emulator.webhooks[0]!.body).toMatchObject({
      event: "failure",
      exitCode: 2,
      summary: expect.stringContaining("Cannot read the stack outputs file"),
      actions: [expect.stringContaining("pulumi stack output --json --show-secrets")],
    });
  });

  it("refuses malformed targets with exit 2, listing every problem without repeating a URL", async () => {
    const result = await run("status", ["--notify", "http://hooks.example.com/secret-a", "--notify", "ftp://x/secret-b", "--notify-on", "sometimes"], {
      PARTNER_CENTER_SAM_NOTIFY: "not-a-url-secret-c, https://user:pw@example.com/secret-d",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--notify #1 uses http:// for hooks.example.com");
    expect(result.stderr).toContain("--notify #2 uses ftp:");
    expect(result.stderr).toContain("PARTNER_CENTER_SAM_NOTIFY (environment) item 1 is not a URL");
    expect(result.stderr).toContain("PARTNER_CENTER_SAM_NOTIFY (environment) item 2 for example.com carries a user name or password");
    expect(result.stderr).toContain("--notify-on must be one of failure, attention, always");
    expect(result.stderr).not.toMatch(/secret-[abcd]|pw@/);
    expect(s.emulator.webhooks).toHaveLength(0);
  });
});

describe("refresh --notify", () => {
  it("tells the targets when the refresh fails, and stays silent when it works", async () => {
    seedRefreshToken(s);
    const ok = await run("refresh", ["--no-verify", "--notify", s.emulator.webhookUrl("slack")]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(s.emulator.webhooks).toHaveLength(0);

    s.entra.invalidateRefreshTokens({ code: 700082 });
    const failed = await run("refresh", ["--no-verify", "--json", "--notify", s.emulator.webhookUrl("slack")]);
    expect(failed.code).toBe(3);
    expect(jsonStdout(failed)).toMatchObject({ ok: false, notifications: [{ target: `slack+${origin()}`, ok: true, error: null }] });
    const slack = s.emulator.webhooks[0]!.body as { text: string };
    expect(slack.text).toMatch(/^partner-center-sam refresh: needs attention — vault pcsam-test-kv/);
    expect(JSON.stringify(slack)).toContain("partner-center-sam bootstrap");
  });
});

describe("notify --test", () => {
  it("sends a test message to every configured target and exits 0", async () => {
    const result = await runCli("notify", ["--test", "--json", "--notify", s.emulator.webhookUrl("teams")], s.childEnv({ PARTNER_CENTER_SAM_NOTIFY: s.emulator.webhookUrl("json") }));
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toEqual({ ok: true, notifications: [{ target: `teams+${origin()}`, ok: true, error: null }, { target: origin(), ok: true, error: null }] });
    expect(s.emulator.webhooks.map((p) => (p.kind === "json" ? (p.body as Json).event : p.kind))).toEqual(expect.arrayContaining(["teams", "test"]));
  });

  it("exits 1 naming the target that failed, and 2 when no target is configured", async () => {
    const down = await runCli("notify", ["--test", "--notify", s.emulator.webhookUrl("json"), "--notify", `https://127.0.0.1:${freeLoopbackPort()}/x`], s.childEnv());
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/1 of 2 notification target\(s\) could not be reached: https:\/\/127\.0\.0\.1:\d+ \(connection refused/);

    const none = await runCli("notify", ["--test"], s.childEnv({ PARTNER_CENTER_SAM_NOTIFY: undefined }));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("No notification target is configured.");

    const noTest = await runCli("notify", ["--notify", s.emulator.webhookUrl("json")], s.childEnv());
    expect(noTest.code).toBe(2);
    expect(noTest.stderr).toContain("pass --test");
  });
});
