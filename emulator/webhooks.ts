/**
 * A webhook sink on loopback: where `--notify` targets post in tests and the
 * demo. It records what was posted (path, headers, body) and answers as the
 * real receivers do:
 *
 * - `/teams/…` — a Teams Workflows "When a Teams webhook request is received"
 *   trigger: `202 Accepted` with an empty body for any JSON (the flow that posts
 *   the card runs afterwards; learn.microsoft.com, power-automate "Microsoft Teams
 *   - Webhook" trigger).
 * - `/slack/…` — a Slack incoming webhook: `200` with the text `ok`; a body
 *   that is not JSON gets `400 invalid_payload`, one without `text` or `blocks`
 *   `400 no_text` (api.slack.com/messaging/webhooks, "Handling errors").
 * - anything else — a generic receiver: `204 No Content`.
 *
 * `failNext(n, status)` makes the next `n` posts fail, for the retry path.
 */
import { randomBytes } from "node:crypto";
import type http from "node:http";
import { LoopbackServer, readBody, type ServerTls } from "./http";

/** One post the sink received. */
export interface ReceivedWebhook {
  /** `teams`, `slack` or `json`, from the path's first segment. */
  kind: "teams" | "slack" | "json";
  /** The URL path, without the query (the query of a Teams URL holds its signature). */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** The body as posted (text). */
  rawBody: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  body: unknown;
  /** The status the sink answered. */
  status: number;
}

/** The kinds of target {@link WebhookSink.url} builds. */
export type WebhookKind = "teams" | "slack" | "json";

/** The webhook sink. */
export class WebhookSink {
  /** Every post received, oldest first. */
  readonly received: ReceivedWebhook[] = [];
  private readonly server: LoopbackServer;
  private failures: { count: number; status: number } = { count: 0, status: 500 };

  constructor(tls?: ServerTls) {
    this.server = new LoopbackServer((req, res) => this.handle(req, res), tls);
  }

  /** Starts listening (on `port`, or a free one). */
  async start(port?: number): Promise<void> {
    await this.server.start(port ?? 0);
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** The sink's origin, e.g. `https://localhost:41240`. */
  get origin(): string {
    return `https://localhost:${this.server.port}`;
  }

  /**
   * A `--notify` target for this sink: `teams+https://…/teams/workflows/<id>?sig=<random>`,
   * `slack+https://…/slack/services/<random>` or `https://…/hooks/<id>`. Each call
   * makes a new URL whose secret parts are random, like a real webhook's.
   */
  url(kind: WebhookKind): string {
    const secret = randomBytes(18).toString("base64url");
    if (kind === "teams") return `teams+${this.origin}/teams/workflows/${randomBytes(8).toString("hex")}?api-version=1&sig=${secret}`;
    if (kind === "slack") return `slack+${this.origin}/slack/services/T0DEMO/B0DEMO/${secret}`;
    return `${this.origin}/hooks/${secret}`;
  }

  /** Makes the next `count` posts answer `status` (default 500). */
  failNext(count: number, status = 500): void {
    this.failures = { count, status };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://localhost");
    const raw = (await readBody(req)).toString("utf8");
    const first = url.pathname.split("/")[1];
    const kind: WebhookKind = first === "teams" ? "teams" : first === "slack" ? "slack" : "json";
    let body: unknown = null;
    try {
      body = JSON.parse(raw);
    } catch {
      body = null;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
    const answer = (status: number, text = "") => {
      this.received.push({ kind, path: url.pathname, headers, rawBody: raw, body, status });
      res.writeHead(status, text ? { "content-type": "text/plain; charset=utf-8" } : {});
      res.end(text);
    };
    if (req.method !== "POST") return answer(405);
    if (this.failures.count > 0) {
      this.failures.count--;
      return answer(this.failures.status, "failure injected by the emulator");
    }
    if (kind === "slack") {
      if (body === null || typeof body !== "object") return answer(400, "invalid_payload");
      const b = body as { text?: unknown; blocks?: unknown };
      return typeof b.text === "string" || Array.isArray(b.blocks) ? answer(200, "ok") : answer(400, "no_text");
    }
    if (body === null) return answer(400);
    return answer(kind === "teams" ? 202 : 204);
  }
}
