/**
 * Each receiver's native payload, built from one {@link NotifyMessage}:
 *
 * - Teams (Workflows "when a Teams webhook request is received"): a `message`
 *   whose one attachment is an Adaptive Card. Workflows accept Adaptive Cards
 *   only, not the retired connectors' MessageCard (learn.microsoft.com,
 *   microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
 *   "Known issues"); Teams renders card version 1.4.
 * - Slack (incoming webhook): `text` (the notification's fallback) plus Block Kit
 *   `blocks` (api.slack.com/messaging/webhooks).
 * - Everything else: the message itself as JSON, signed with HMAC-SHA256 of
 *   the exact body bytes when a secret is set (GitHub's X-Hub-Signature-256 is
 *   the model: `sha256=<hex>`).
 */
import { nodeCrypto } from "../core/lazy-builtins";
import { headline, type NotifyMessage } from "./message";
import type { TargetKind } from "./targets";

/** The generic target's signature header. */
export const SIGNATURE_HEADER = "X-Partner-Center-Sam-Signature";

/** `sha256=<hex HMAC-SHA256 of body>` with `secret` as the key. */
export function signBody(body: string, secret: string): string {
  return `sha256=${nodeCrypto().createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** The facts every receiver shows, as label/value pairs. */
function facts(message: NotifyMessage): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  if (message.stack) rows.push(["Stack", message.stack]);
  if (message.keyVaultUri) rows.push(["Key Vault", message.keyVaultUri]);
  rows.push(["Command", `${message.command} (exit ${message.exitCode})`]);
  if (message.aadsts) rows.push(["Entra ID error", message.aadsts]);
  rows.push(["At", message.at]);
  return rows;
}

/** The Teams Workflows payload: a message with one Adaptive Card attachment. */
export function teamsPayload(message: NotifyMessage): object {
  const attention = message.event !== "ok" && message.event !== "test";
  const body: object[] = [
    { type: "TextBlock", text: headline(message), weight: "Bolder", size: "Medium", wrap: true, color: attention ? "Attention" : "Good" },
    { type: "TextBlock", text: message.summary, wrap: true },
    { type: "FactSet", facts: facts(message).map(([title, value]) => ({ title, value })) },
  ];
  if (message.actions.length) {
    body.push({ type: "TextBlock", text: "Next step", weight: "Bolder", wrap: true, spacing: "Medium" });
    for (const action of message.actions) body.push({ type: "TextBlock", text: `- ${action}`, wrap: true });
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: { $schema: "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.4", body },
      },
    ],
  };
}

/** Slack's mrkdwn treats these three characters as markup; everything else is text. */
function slackText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The Slack incoming-webhook payload: fallback text and blocks. */
export function slackPayload(message: NotifyMessage): object {
  const blocks: object[] = [
    { type: "header", text: { type: "plain_text", text: headline(message).slice(0, 150) } },
    { type: "section", text: { type: "mrkdwn", text: slackText(message.summary) } },
    { type: "section", fields: facts(message).map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${slackText(value)}` })) },
  ];
  if (message.actions.length) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Next step*\n${message.actions.map((a) => `• ${slackText(a)}`).join("\n")}` } });
  }
  return { text: `${headline(message)}: ${message.summary}`, blocks };
}

/** The body and headers to POST to a target of `kind`. */
export function requestFor(kind: TargetKind, message: NotifyMessage, secret?: string): { body: string; headers: Record<string, string> } {
  const payload = kind === "teams" ? teamsPayload(message) : kind === "slack" ? slackPayload(message) : message;
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (kind === "json" && secret) headers[SIGNATURE_HEADER] = signBody(body, secret);
  return { body, headers };
}
