/**
 * notify/: targets are validated without ever quoting a URL, the policy sends
 * what `--notify-on` asks for, each receiver gets its native payload, and
 * delivery has a timeout and exactly one retry against a real loopback server.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deliver } from "../../../bootstrap/src/notify/deliver";
import { buildMessage, shouldNotify, subjectOf, type NotifyMessage } from "../../../bootstrap/src/notify/message";
import { requestFor, signBody, slackPayload, teamsPayload } from "../../../bootstrap/src/notify/payloads";
import { isLoopbackHost, parseTarget, parseTargets, splitTargets } from "../../../bootstrap/src/notify/targets";

const MESSAGE: NotifyMessage = buildMessage(
  { command: "status", stack: "prod", keyVaultUri: "https://kv-pcsam-prod.vault.azure.net/", now: new Date("2026-12-01T08:00:00.000Z") },
  { event: "attention", exitCode: 3, summary: "Needs attention: partnercenter-refresh-token expires in 5 day(s).", actions: ["partnercenter-refresh-token: expires in 5 day(s). Fix: npm run refresh"] },
);

describe("notification targets", () => {
  it.each([
    ["teams+https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t", "teams", "teams+https://prod-12.westeurope.logic.azure.com"],
    ["slack+https://hooks.slack.com/services/T000/B000/s3cr3t", "slack", "slack+https://hooks.slack.com"],
    ["https://ops.contoso.com/hooks/partner-center", "json", "https://ops.contoso.com"],
    ["http://127.0.0.1:8080/local-relay", "json", "http://127.0.0.1:8080"],
    ["TEAMS+http://localhost:9000/x", "teams", "teams+http://localhost:9000"],
  ])("reads %s as a %s target shown as %s", (text, kind, label) => {
    expect(parseTarget(text)).toEqual({ ok: true, target: { kind, url: expect.any(String), label } });
  });

  it.each([
    ["http://hooks.example.com/secret-path", "uses http:// for hooks.example.com"],
    ["ftp://example.com/secret-path", "uses ftp:"],
    ["teams+not a url secret-path", "is not a URL"],
    ["https://user:secret-path@example.com/x", "carries a user name or password"],
    ["https://example.com/x#secret-path", "has a #fragment"],
  ])("refuses %s, saying why without quoting it", (text, why) => {
    const parsed = parseTarget(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem).toContain(why);
      expect(parsed.problem).not.toContain("secret-path");
    }
  });

  it("accepts plain http only for loopback hosts", () => {
    expect(["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "sink.localhost"].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(["10.0.0.1", "example.com", "localhost.example.com", "128.0.0.1"].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });

  it("splits the environment variable on whitespace and commas, drops duplicates and reports every problem with its origin", () => {
    expect(splitTargets(" https://a.example/1,https://b.example/2\n\thttps://c.example/3 ,, ")).toHaveLength(3);
    const parsed = parseTargets(["https://a.example/1", "http://b.example/2"], "https://a.example/1, nope");
    expect(parsed.targets.map((t) => t.label)).toEqual(["https://a.example"]);
    expect(parsed.problems).toEqual([
      "--notify #2 uses http:// for b.example: a webhook URL is a credential, so it needs https:// (plain http only for localhost/127.0.0.1)",
      "PARTNER_CENTER_SAM_NOTIFY (environment) item 2 is not a URL (expected teams+https://…, slack+https://… or https://…)",
    ]);
    expect(parseTargets([], undefined)).toEqual({ targets: [], problems: [] });
  });
});

describe("when a command notifies", () => {
  it.each([
    ["failure", 0, false],
    ["failure", 3, false],
    ["failure", 1, true],
    ["failure", 2, true],
    ["attention", 0, false],
    ["attention", 3, true],
    ["attention", 1, true],
    ["always", 0, true],
    ["always", 130, false],
  ] as const)("--notify-on %s, exit %i: %s", (on, exitCode, expected) => {
    expect(shouldNotify(on, exitCode)).toBe(expected);
  });

  it("names the stack and the vault, or whichever is known", () => {
    expect(subjectOf(MESSAGE)).toBe("stack prod (vault kv-pcsam-prod)");
    expect(subjectOf({ stack: null, keyVaultUri: "https://kv-x.vault.azure.net/" })).toBe("vault kv-x");
    expect(subjectOf({ stack: null, keyVaultUri: null })).toBe("partner-center-sam");
  });

  it("scrubs every text of the message with the command's scrubber", () => {
    const m = buildMessage({ command: "refresh", scrub: (t) => t.replace("eyJsecret", "[redacted]") }, { event: "failure", exitCode: 1, summary: "got eyJsecret", actions: ["not eyJsecret"] });
    expect([m.summary, m.actions[0]]).toEqual(["got [redacted]", "not [redacted]"]);
  });
});

describe("payloads", () => {
  it("gives Teams a message with one Adaptive Card attachment holding the headline, the facts and the next step", () => {
    const payload = teamsPayload(MESSAGE) as { type: string; attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<Record<string, unknown>> } }> };
    expect(payload.type).toBe("message");
    expect(payload.attachments).toHaveLength(1);
    const card = payload.attachments[0]!;
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.content.body[0]).toMatchObject({ type: "TextBlock", text: "partner-center-sam status: needs attention — stack prod (vault kv-pcsam-prod)", color: "Attention" });
    expect(card.content.body).toContainEqual({ type: "FactSet", facts: expect.arrayContaining([{ title: "Key Vault", value: "https://kv-pcsam-prod.vault.azure.net/" }]) });
    expect(card.content.body.at(-1)).toMatchObject({ text: "- partnercenter-refresh-token: expires in 5 day(s). Fix: npm run refresh" });
  });

  it("gives Slack fallback text and blocks, escaping its three markup characters", () => {
    const payload = slackPayload({ ...MESSAGE, summary: "a <b> & c" }) as { text: string; blocks: Array<{ type: string; text?: { text: string } }> };
    expect(payload.text).toBe("partner-center-sam status: needs attention — stack prod (vault kv-pcsam-prod): a <b> & c");
    expect(payload.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section"]);
    expect(payload.blocks[1]!.text!.text).toBe("a &lt;b&gt; &amp; c");
  });

  it("signs the generic JSON body like GitHub's X-Hub-Signature-256, and only with a secret", () => {
    const signed = requestFor("json", MESSAGE, "k3y");
    expect(JSON.parse(signed.body)).toEqual(MESSAGE);
    expect(signed.headers["X-Partner-Center-Sam-Signature"]).toBe(`sha256=${createHmac("sha256", "k3y").update(signed.body).digest("hex")}`);
    expect(signBody("hello", "k3y")).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(requestFor("json", MESSAGE).headers).not.toHaveProperty("X-Partner-Center-Sam-Signature");
    expect(requestFor("teams", MESSAGE, "k3y").headers).not.toHaveProperty("X-Partner-Center-Sam-Signature");
  });
});

describe("delivery", () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A loopback server answering each request with the next status (or never, for "hang"). */
  async function receiver(answers: Array<number | "hang">): Promise<{ url: string; hits: () => number }> {
    let hits = 0;
    server = http.createServer((req, res) => {
      const answer = answers[Math.min(hits, answers.length - 1)]!;
      hits++;
      req.resume();
      if (answer === "hang") return;
      res.writeHead(answer).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-path`, hits: () => hits };
  }
  const target = (url: string) => ({ kind: "json" as const, url, label: new URL(url).origin });

  it("delivers on the first 2xx", async () => {
    const r = await receiver([204]);
    expect(await deliver([target(r.url)], MESSAGE, { retryDelayMs: 1 })).toEqual([{ target: new URL(r.url).origin, ok: true, error: null }]);
    expect(r.hits()).toBe(1);
  });

  it("retries a 5xx exactly once", async () => {
    const r = await receiver([502, 502, 502]);
    const [result] = await deliver([target(r.url)], MESSAGE, { retryDelayMs: 1 });
    expect(result).toMatchObject({ ok: false, error: "the receiver answered HTTP 502 (after 2 attempts)" });
    expect(r.hits()).toBe(2);
  });

  it("does not retry a 4xx other than 408 and 429: the payload or the URL is wrong", async () => {
    const r = await receiver([404]);
    const [result] = await deliver([target(r.url)], MESSAGE, { retryDelayMs: 1 });
    expect(result).toMatchObject({ ok: false, error: "the receiver answered HTTP 404" });
    expect(r.hits()).toBe(1);
  });

  it("gives up on a receiver that does not answer within the timeout, twice", async () => {
    const r = await receiver(["hang"]);
    const [result] = await deliver([target(r.url)], MESSAGE, { timeoutMs: 200, retryDelayMs: 1 });
    expect(result).toMatchObject({ ok: false, error: "no answer within 200 ms (after 2 attempts)" });
    expect(r.hits()).toBe(2);
    expect(JSON.stringify(result)).not.toContain("secret-path");
  });

  it("stops at once when the command is cancelled", async () => {
    const r = await receiver(["hang"]);
    const controller = new AbortController();
    const pending = deliver([target(r.url)], MESSAGE, { signal: controller.signal, retryDelayMs: 1 });
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toEqual([{ target: new URL(r.url).origin, ok: false, error: "cancelled" }]);
  });
});
