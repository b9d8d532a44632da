/**
 * `partner-center-sam call` end to end: the built command as a child process
 * against the stand-ins, and loopback HTTPS servers standing in for Graph and for
 * hosts nobody named (they record the Authorization header of every request).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type http from "node:http";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../bootstrap/src/core/contract";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { callCommand } from "../../bootstrap/src/cli/call";
import { documentedFlags, scratchDir, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { testTls } from "../support/global-setup";
import { LoopbackServer, requestUrl, sendJson } from "../../emulator/http";
import { decodeJwt } from "../../emulator/jwt";
import { runCli, type CliResult } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
const allStandIns = freshStandInsPerTest((started) => {
  s = started;
  seedRefreshToken(s);
});
const servers: LoopbackServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

afterAll(() => {
  expectNoSecretPrinted(allStandIns);
});

function call(args: string[]): Promise<CliResult> {
  return runCli("call", [...args, "--outputs", writeOutputsFile(s)], s.childEnv());
}

/** A loopback HTTPS server that records each request's path and Authorization header. */
async function recordingServer(answer: (req: http.IncomingMessage, res: http.ServerResponse, base: string) => void = (_req, res) => sendJson(res, 200, { ok: true })) {
  const seen: Array<{ path: string; authorization?: string }> = [];
  const server = new LoopbackServer((req, res) => {
    const url = requestUrl(req);
    seen.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    answer(req, res, `https://localhost:${server.port}`);
  }, testTls());
  await server.start();
  servers.push(server);
  return { url: `https://localhost:${server.port}`, seen };
}

const audienceOf = (authorization: string | undefined) => decodeJwt((authorization ?? "").replace(/^Bearer /, "")).payload.aud;

describe("partner-center-sam call", () => {
  it("prints the response body, compact when stdout is not a terminal", async () => {
    const result = await call(["/v1/profiles/organization"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual(s.partnerCenter.organization);
    const sent = s.partnerCenter.calls[0]!;
    expect(sent.user).toBe(s.users.admin.username);
    expect(sent.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("with --all, follows Partner Center's continuation over three pages and prints one merged document", async () => {
    for (let i = 0; i < 5; i++) s.partnerCenter.addCustomer();
    s.partnerCenter.customersPageSize = 2;

    const result = await call(["/v1/customers", "--all"]);

    expect(result.code, result.stderr).toBe(0);
    const doc = jsonStdout(result) as { items: Array<{ id: string }>; totalCount: number; links: Record<string, unknown> };
    expect(doc.items.map((c) => c.id)).toEqual(s.partnerCenter.customers.map((c) => c.id));
    expect(doc.totalCount).toBe(5);
    expect(doc.links).not.toHaveProperty("next");
    expect(s.partnerCenter.calls.map((c) => c.search)).toEqual(["", "?size=2&seekOperation=Next", "?size=2&seekOperation=Next"]);
  });

  it("with --all, follows Graph's @odata.nextLink and merges value", async () => {
    const graph = await recordingServer((req, res, base) => {
      const page = Number(requestUrl(req).searchParams.get("page") ?? "1");
      sendJson(res, 200, { value: [{ id: `u${page}` }], ...(page < 3 ? { "@odata.nextLink": `${base}/v1.0/users?page=${page + 1}` } : {}) });
    });

    const result = await call([`${graph.url}/v1.0/users`, "--all", "--scope", "graph"]);

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toEqual({ value: [{ id: "u1" }, { id: "u2" }, { id: "u3" }] });
    expect(graph.seen.map((r) => r.path)).toEqual(["/v1.0/users", "/v1.0/users?page=2", "/v1.0/users?page=3"]);
    expect(graph.seen.map((r) => audienceOf(r.authorization))).toEqual(Array(3).fill("https://graph.microsoft.com"));
  });

  it("refuses a host that is neither Partner Center nor Graph without --scope, before any request or token", async () => {
    const other = await recordingServer();

    const result = await call([`${other.url}/api/things`]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Refusing to send a token to localhost:\d+/);
    expect(result.stderr).toMatch(/--scope/);
    expect(result.stdout).toBe("");
    expect(other.seen).toEqual([]);
    expect(s.entra.tokenRequests).toEqual([]);
  });

  it("does not follow a next-page link to a host that was not named", async () => {
    const elsewhere = await recordingServer();
    const graph = await recordingServer((_req, res) => sendJson(res, 200, { value: [1], "@odata.nextLink": `${elsewhere.url}/steal?page=2` }));

    const result = await call([`${graph.url}/v1.0/users`, "--all", "--scope", "graph"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Refusing to follow the next-page link/);
    expect(graph.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });

  it("retries a 429 with Retry-After and one without", async () => {
    s.partnerCenter.failNext(1, 429);
    s.partnerCenter.failNext(1, 429, { retryAfter: null });

    const result = await call(["/v1/profiles/organization"]);

    expect(result.code, result.stderr).toBe(0);
    expect(s.partnerCenter.calls.map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it("exits 3 and says to run the bootstrap again on Partner Center's MFA error 900421", async () => {
    const user = s.entra.addUser({ tenantId: s.tenantId, username: "nomfa@contoso.example", password: "pw-123456789", mfa: false });
    const token = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: user.username, scopes: s.outputs.scopes });
    s.vault.setSecret(s.outputs.secretNames.refreshToken, token, { contentType: REFRESH_TOKEN_CONTENT_TYPE });

    const result = await call(["/v1/customers"]);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain("900421");
    expect(result.stderr).toMatch(/bootstrap/);
    expect(result.stdout).toBe("");
  });

  it("exits 1 with the status, the service's error and both ids on stderr for any other error", async () => {
    const result = await call(["/v1/nothing-here"]);

    const sent = s.partnerCenter.calls[0]!;
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("HTTP 404 NotFound: The requested resource /v1/nothing-here was not found.");
    expect(result.stderr).toContain(`request id ${sent.requestId}, correlation id ${sent.correlationId}`);
  });

  it("gives up on a Partner Center that never answers at the deadline, naming it (exit 1)", async () => {
    s.partnerCenter.failNext(1, "hang");
    const started = Date.now();

    const result = await call(["/v1/profiles/organization", "--timeout", "3", "--access-wait", "0"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Partner Center localhost:\d+ \(GET \/v1\/profiles\/organization\)/);
    expect(result.stderr).toMatch(/deadline/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("sends --method, --body @file and --header", async () => {
    const customer = s.partnerCenter.addCustomer();
    const file = path.join(scratchDir(), "consent.json");
    writeFileSync(file, JSON.stringify({ applicationId: s.clientId, applicationGrants: [{ enterpriseApplicationId: "00000003-0000-0000-c000-000000000000", scope: "User.Read" }] }));

    const result = await call(["--method", "POST", `/v1/customers/${customer.id}/applicationconsents`, "--body", `@${file}`, "--header", "X-Locale: en-US"]);

    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result)).toMatchObject({ applicationId: s.clientId });
    expect(s.partnerCenter.applicationConsents(customer.id)).toHaveLength(1);
  });

  it("rejects a body that is not JSON, an Authorization header and --all with POST, before any request", async () => {
    const result = await call(["--method", "POST", "/v1/customers", "--body", "{nope", "--header", "Authorization: Bearer x", "--all"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--body is not valid JSON/);
    expect(result.stderr).toMatch(/--header Authorization is set by the command itself/);
    expect(result.stderr).toMatch(/--all follows pages of a GET/);
    expect(s.partnerCenter.calls).toEqual([]);
  });

  it("documents every option in the README, and no other", () => {
    expect(documentedFlags("npm run call").sort()).toEqual(callCommand().options.map((o) => o.long).sort());
  });
});
