/**
 * The emulator's webhook sink answers as the receivers it stands in for, records
 * every post, and fails on request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookSink } from "../../emulator/webhooks";
import { testTls } from "../support/global-setup";

const sink = new WebhookSink(testTls());
beforeAll(() => sink.start());
afterAll(() => sink.stop());

const post = (target: string, body: string) => fetch(target.replace(/^(teams|slack)\+/, ""), { method: "POST", body, headers: { "content-type": "application/json" } });

describe("the webhook sink", () => {
  it("answers a Teams Workflows post 202, a Slack post 200 ok and a generic post 204, recording path, headers and body", async () => {
    const teams = sink.url("teams");
    expect(teams).toMatch(/^teams\+https:\/\/localhost:\d+\/teams\/workflows\/[0-9a-f]+\?api-version=1&sig=[\w-]+$/);
    expect((await post(teams, '{"type":"message"}')).status).toBe(202);
    const slack = await post(sink.url("slack"), '{"text":"hi"}');
    expect([slack.status, await slack.text()]).toEqual([200, "ok"]);
    expect((await post(sink.url("json"), "{}")).status).toBe(204);
    expect(sink.received.map((r) => [r.kind, r.status])).toEqual([["teams", 202], ["slack", 200], ["json", 204]]);
    expect(sink.received[0]).toMatchObject({ path: expect.stringMatching(/^\/teams\/workflows\/[0-9a-f]+$/), body: { type: "message" }, headers: { "content-type": "application/json" } });
  });

  it("refuses what Slack refuses: a body that is not JSON, or one without text or blocks", async () => {
    const invalid = await post(sink.url("slack"), "not json");
    expect([invalid.status, await invalid.text()]).toEqual([400, "invalid_payload"]);
    const empty = await post(sink.url("slack"), '{"attachments":[]}');
    expect([empty.status, await empty.text()]).toEqual([400, "no_text"]);
  });

  it("fails the next posts on request, then answers normally again", async () => {
    sink.failNext(2, 503);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(sink.url("json"), "{}")).status);
    expect(statuses).toEqual([503, 503, 204]);
  });
});
