/**
 * The core of `call` and `provider.fetch` against the stand-ins: where a token
 * may go, Partner Center and Graph paging, retries, and the errors it reports.
 */
import type http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiCallError, ApiClient, nextPage, type TokenRequest } from "../../../bootstrap/src/partner-center/api-client";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../../bootstrap/src/core/contract";
import { ExitCode, SignInError, UsageError } from "../../../bootstrap/src/core/errors";
import { createTokenProvider, type TokenProvider } from "../../../bootstrap/src/entra/token-provider";
import { seedRefreshToken } from "../../support/fixtures";
import { testTls } from "../../support/global-setup";
import { LoopbackServer, requestUrl, sendJson } from "../../../emulator/http";
import { decodeJwt } from "../../../emulator/jwt";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;
let provider: TokenProvider;
const servers: LoopbackServer[] = [];

beforeEach(async () => {
  s = await startStandIns({ nonMfaUser: true });
  seedRefreshToken(s);
  provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await s.stop();
});

/** Token requests the client made, and the client itself. */
function client(options: { graphEndpoint?: string; transientBudgetMs?: number } = {}): { api: ApiClient; tokenRequests: TokenRequest[] } {
  const tokenRequests: TokenRequest[] = [];
  const api = new ApiClient({
    partnerCenterEndpoint: s.partnerCenter.url,
    ...options,
    getToken: (request) => {
      tokenRequests.push(request);
      if (request.forceRefresh) provider.clearCache();
      return provider.getAccessToken(request.scopes);
    },
  });
  return { api, tokenRequests };
}

/** Makes `resource` an API the stored refresh token was consented for (as Graph is in production). */
function consentResource(resource: string): void {
  s.entra.registerResource(resource);
  const token = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: s.users.admin.username, scopes: [...s.outputs.scopes, `${resource}/.default`] });
  s.vault.setSecret(s.outputs.secretNames.refreshToken, token, { contentType: REFRESH_TOKEN_CONTENT_TYPE });
}

/** A loopback HTTPS server that records the Authorization header of each request and answers with `answer`. */
async function recordingServer(answer: (req: http.IncomingMessage, res: http.ServerResponse, url: string) => void = (_req, res) => sendJson(res, 200, { ok: true })) {
  const seen: Array<{ path: string; authorization?: string }> = [];
  const server = new LoopbackServer((req, res) => {
    seen.push({ path: requestUrl(req).pathname + requestUrl(req).search, authorization: req.headers.authorization });
    answer(req, res, `https://localhost:${server.port}`);
  }, testTls());
  await server.start();
  servers.push(server);
  return { url: `https://localhost:${server.port}`, seen };
}

describe("where a token may go", () => {
  it("refuses a host that is neither Partner Center nor Graph when no scope is given, before any request", async () => {
    const other = await recordingServer();
    const { api, tokenRequests } = client();

    const error = await api.call({ target: `${other.url}/v1/secrets` }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((error as UsageError).message).toMatch(/Refusing to send a token to localhost:\d+/);
    expect(other.seen).toEqual([]);
    expect(tokenRequests).toEqual([]);
  });

  it("sends that host a token for the scope the caller names", async () => {
    const other = await recordingServer();
    const { api } = client();

    await api.call({ target: `${other.url}/v1/items`, scopes: ["https://graph.microsoft.com/.default"] });

    expect(other.seen).toHaveLength(1);
    expect(decodeJwt(bearerTokenOf(other.seen[0]!.authorization)).payload.aud).toBe("https://graph.microsoft.com");
  });

  it("refuses http URLs and URLs with credentials, whatever the scope", async () => {
    const { api } = client();
    for (const target of ["http://localhost:1/x", `https://user:pw@localhost:1/x`, "v1/customers"]) {
      await expect(api.call({ target, scopes: ["https://graph.microsoft.com/.default"] })).rejects.toBeInstanceOf(UsageError);
    }
  });

  it("infers Partner Center's scope for a path and for a URL on its host", async () => {
    const { api, tokenRequests } = client();
    await api.call({ target: "/v1/profiles/organization" });
    await api.call({ target: `${s.partnerCenter.url}/v1/profiles/organization` });
    expect(tokenRequests.map((r) => r.scopes)).toEqual([[`${s.partnerCenter.url}/user_impersonation`], [`${s.partnerCenter.url}/user_impersonation`]]);
  });

  it("does not follow a next-page link to another host", async () => {
    const elsewhere = await recordingServer();
    const graph = await recordingServer((_req, res) => sendJson(res, 200, { value: [1], "@odata.nextLink": `${elsewhere.url}/v1.0/users?$skiptoken=x` }));
    consentResource(graph.url);
    const { api } = client({ graphEndpoint: graph.url });

    const error = await api.call({ target: `${graph.url}/v1.0/users`, all: true }).catch((e: unknown) => e);

    expect((error as Error).message).toMatch(/Refusing to follow the next-page link/);
    expect(graph.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe("paging with all", () => {
  it("follows Partner Center's links.next with its continuation token and merges every page", async () => {
    for (let i = 0; i < 5; i++) s.partnerCenter.addCustomer();
    s.partnerCenter.customersPageSize = 2;
    const { api } = client();

    const { body, pages } = await api.call({ target: "/v1/customers", all: true });

    const doc = body as { items: Array<{ id: string }>; totalCount: number; links: Record<string, unknown> };
    expect(pages).toBe(3);
    expect(doc.items.map((c) => c.id)).toEqual(s.partnerCenter.customers.map((c) => c.id));
    expect(doc.totalCount).toBe(5);
    expect(doc.links.next).toBeUndefined();
    const calls = s.partnerCenter.calls.filter((c) => c.path === "/v1/customers");
    expect(calls.map((c) => [c.status, c.search])).toEqual([
      [200, ""],
      [200, "?size=2&seekOperation=Next"],
      [200, "?size=2&seekOperation=Next"],
    ]);
    expect(new Set(calls.map((c) => c.correlationId)).size).toBe(1);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(3);
  });

  it("without all, returns the first page with its links", async () => {
    for (let i = 0; i < 3; i++) s.partnerCenter.addCustomer();
    s.partnerCenter.customersPageSize = 2;
    const { body } = await client().api.call({ target: "/v1/customers" });
    expect((body as { items: unknown[] }).items).toHaveLength(2);
    expect((body as { links: { next: { headers: Array<{ key: string }> } } }).links.next.headers[0]!.key).toBe("MS-ContinuationToken");
  });

  it("follows Graph's @odata.nextLink and infers Graph's scope from its host", async () => {
    const graph = await recordingServer((req, res, base) => {
      const page = Number(requestUrl(req).searchParams.get("page") ?? "1");
      sendJson(res, 200, { "@odata.context": `${base}/v1.0/$metadata#users`, value: [{ id: `u${page}` }], ...(page < 3 ? { "@odata.nextLink": `${base}/v1.0/users?page=${page + 1}` } : {}) });
    });
    consentResource(graph.url);
    const { api, tokenRequests } = client({ graphEndpoint: graph.url });

    const { body, pages } = await api.call({ target: `${graph.url}/v1.0/users`, all: true });

    expect(pages).toBe(3);
    expect(body).toEqual({ "@odata.context": `${graph.url}/v1.0/$metadata#users`, value: [{ id: "u1" }, { id: "u2" }, { id: "u3" }] });
    expect(tokenRequests[0]!.scopes).toEqual([`${graph.url}/.default`]);
    expect(graph.seen.every((r) => decodeJwt(bearerTokenOf(r.authorization)).payload.aud === graph.url)).toBe(true);
  });

  it("resolves Partner Center's version-relative link URIs under the request's version", () => {
    const next = nextPage({ links: { next: { uri: "/customers?size=2&seekOperation=Next", headers: [{ key: "MS-ContinuationToken", value: "t" }, { key: "Authorization", value: "x" }] } } }, new URL("https://pc.example/v1/customers"));
    expect(next).toEqual({ url: "https://pc.example/v1/customers?size=2&seekOperation=Next", headers: { "MS-ContinuationToken": "t" } });
  });
});

describe("retries and errors", () => {
  it("retries a 429 with Retry-After and a 429 without one", async () => {
    s.partnerCenter.failNext(1, 429);
    s.partnerCenter.failNext(1, 429, { retryAfter: null });
    const { body } = await client().api.call({ target: "/v1/profiles/organization" });
    expect((body as { companyName: string }).companyName).toBe("Contoso Partner Ltd");
    expect(s.partnerCenter.calls.map((c) => c.status)).toEqual([429, 429, 200]);
    // A retry repeats the request: same MS-RequestId (Partner Center's idempotency key).
    expect(new Set(s.partnerCenter.calls.map((c) => c.requestId)).size).toBe(1);
  });

  it("reports the last answer with its ids when the transient budget runs out", async () => {
    s.partnerCenter.failNext(10, 503);
    const error = (await client({ transientBudgetMs: 1 }).api.call({ target: "/v1/profiles/organization" }).catch((e: unknown) => e)) as ApiCallError;
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.exitCode).toBe(ExitCode.Failure);
    expect(error.message).toContain("HTTP 503");
    expect(error.message).toContain(s.partnerCenter.calls[0]!.requestId!);
  });

  it("exits 3 with a bootstrap hint on Partner Center's MFA error 900421", async () => {
    const token = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: s.users.nonMfa!.username, scopes: s.outputs.scopes });
    s.vault.setSecret(s.outputs.secretNames.refreshToken, token, { contentType: REFRESH_TOKEN_CONTENT_TYPE });

    const error = (await client().api.call({ target: "/v1/customers" }).catch((e: unknown) => e)) as SignInError;

    expect(error).toBeInstanceOf(SignInError);
    expect(error.exitCode).toBe(ExitCode.ActionNeeded);
    expect(error.message).toContain("900421");
    expect(error.hint).toMatch(/bootstrap/);
    expect(s.partnerCenter.calls).toHaveLength(1);
  });

  it("exits 1 with the status, the service's code and description, and both ids for other errors", async () => {
    const error = (await client().api.call({ target: "/v1/nothing-here" }).catch((e: unknown) => e)) as ApiCallError;
    const call = s.partnerCenter.calls[0]!;
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.exitCode).toBe(ExitCode.Failure);
    expect(error.message).toContain("HTTP 404 NotFound: The requested resource /v1/nothing-here was not found.");
    expect(error.message).toContain(`request id ${call.requestId}, correlation id ${call.correlationId}`);
  });

  it("retries a 401 once with a fresh token, and reports a second 401", async () => {
    let bad = 1;
    const tokenRequests: TokenRequest[] = [];
    const api = new ApiClient({
      partnerCenterEndpoint: s.partnerCenter.url,
      getToken: async (request) => {
        tokenRequests.push(request);
        return bad-- > 0 ? "not-a-token" : provider.getAccessToken(request.scopes);
      },
    });
    await api.call({ target: "/v1/profiles/organization" });
    expect(tokenRequests.map((r) => r.forceRefresh)).toEqual([false, true]);

    const never = new ApiClient({ partnerCenterEndpoint: s.partnerCenter.url, getToken: async () => "not-a-token" });
    const error = (await never.call({ target: "/v1/profiles/organization" }).catch((e: unknown) => e)) as ApiCallError;
    expect(error.answer.status).toBe(401);
    expect(s.partnerCenter.calls.map((c) => c.status)).toEqual([401, 200, 401, 401]);
  });
});

function bearerTokenOf(header: string | undefined): string {
  const token = /^Bearer (\S+)$/.exec(header ?? "")?.[1];
  if (!token) throw new Error("no bearer token");
  return token;
}

