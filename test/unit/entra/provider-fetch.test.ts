/**
 * `provider.fetch`: what `call` does, for code — the token added for the host
 * (or refused for a host nobody named), Partner Center's ids, retries, and the
 * answer as a standard Response.
 */
import type http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REFRESH_TOKEN_CONTENT_TYPE } from "../../../bootstrap/src/core/contract";
import { ExitCode, SignInError, UsageError } from "../../../bootstrap/src/core/errors";
import { createTokenProvider, type TokenProvider } from "../../../bootstrap/src/entra/token-provider";
import { seedRefreshToken } from "../../support/fixtures";
import { testTls } from "../../support/global-setup";
import { LoopbackServer, sendJson } from "../../../emulator/http";
import { decodeJwt } from "../../../emulator/jwt";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;
let provider: TokenProvider;
const servers: LoopbackServer[] = [];

beforeEach(async () => {
  s = await startStandIns();
  seedRefreshToken(s);
  provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await s.stop();
});

async function recordingServer() {
  const seen: Array<string | undefined> = [];
  const server = new LoopbackServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push(req.headers.authorization);
    sendJson(res, 200, { ok: true });
  }, testTls());
  await server.start();
  servers.push(server);
  return { url: `https://localhost:${server.port}`, seen };
}

describe("provider.fetch", () => {
  it("sends a Partner Center path with the token and Partner Center's ids, and resolves with a Response", async () => {
    const response = await provider.fetch("/v1/profiles/organization");

    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(s.partnerCenter.organization);
    const call = s.partnerCenter.calls[0]!;
    expect(call.user).toBe(s.users.admin.username);
    expect(call.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(call.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("resolves with a non-2xx answer as it is, like fetch", async () => {
    const response = await provider.fetch("/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NotFound" });
  });

  it("sends a method and a body", async () => {
    const customer = s.partnerCenter.addCustomer();
    const body = JSON.stringify({ applicationId: s.clientId, applicationGrants: [{ enterpriseApplicationId: "00000003-0000-0000-c000-000000000000", scope: "User.Read" }] });

    const response = await provider.fetch(`/v1/customers/${customer.id}/applicationconsents`, { method: "POST", body, headers: { "X-Locale": "en-US" } });

    expect(response.status).toBe(201);
    expect(s.partnerCenter.applicationConsents(customer.id)).toHaveLength(1);
  });

  it("refuses a host it cannot infer a scope for, before any request; sends it a token for the scopes it is given", async () => {
    const other = await recordingServer();

    await expect(provider.fetch(`${other.url}/things`)).rejects.toBeInstanceOf(UsageError);
    expect(other.seen).toEqual([]);

    const response = await provider.fetch(`${other.url}/things`, {}, { scopes: ["https://graph.microsoft.com/.default"] });
    expect(response.status).toBe(200);
    expect(decodeJwt(other.seen[0]!.replace(/^Bearer /, "")).payload.aud).toBe("https://graph.microsoft.com");
  });

  it("retries a 429 and answers with the result", async () => {
    s.partnerCenter.failNext(1, 429);
    const response = await provider.fetch("/v1/profiles/organization");
    expect(response.status).toBe(200);
    expect(s.partnerCenter.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("rejects with an exit-3 SignInError on Partner Center's MFA error 900421", async () => {
    const user = s.entra.addUser({ tenantId: s.tenantId, username: "nomfa@contoso.example", password: "pw-123456789", mfa: false });
    const token = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: user.username, scopes: s.outputs.scopes });
    s.vault.setSecret(s.outputs.secretNames.refreshToken, token, { contentType: REFRESH_TOKEN_CONTENT_TYPE });

    const error = (await provider.fetch("/v1/customers").catch((e: unknown) => e)) as SignInError;
    expect(error).toBeInstanceOf(SignInError);
    expect(error.exitCode).toBe(ExitCode.ActionNeeded);
  });

  it("rejects an unknown method", async () => {
    await expect(provider.fetch("/v1/customers", { method: "TRACE" })).rejects.toBeInstanceOf(TypeError);
    expect(s.partnerCenter.calls).toEqual([]);
  });
});
