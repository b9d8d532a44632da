/**
 * The commands' API client against the emulator's Microsoft Graph: Graph's own request ids in a failed call's
 * message, the Graph endpoint in use (sovereign clouds) deciding the host rule, and a Retry-After longer than the
 * retry budget honoured while the deadline allows.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Deadline } from "../../bootstrap/src/core/retry";
import { ApiCallError, ApiClient } from "../../bootstrap/src/partner-center/api-client";
import { defaultEstate, type Emulator } from "../../emulator";
import { decodeJwt } from "../../emulator/jwt";
import { closeAll, graphToken, redeem, start } from "./graph-support";

afterEach(closeAll);

/** An ApiClient whose Graph is the emulator's, handing out tokens redeemed in the partner tenant (or `tenant`). */
function clientFor(emu: Emulator, options: { deadline?: Deadline; transientBudgetMs?: number; retries?: string[] } = {}) {
  const scopesAsked: string[][] = [];
  const client = new ApiClient({
    partnerCenterEndpoint: emu.partnerCenterEndpoint,
    graphEndpoint: emu.graphEndpoint,
    deadline: options.deadline,
    transientBudgetMs: options.transientBudgetMs,
    onRetry: (message) => options.retries?.push(message),
    getToken: async ({ scopes, tenantId }) => {
      scopesAsked.push(scopes);
      return graphToken(emu, tenantId);
    },
  });
  return { client, scopesAsked };
}

describe("the API client with the emulator's Microsoft Graph", () => {
  it("sends a URL on the configured Graph endpoint with Graph's scope, no --scope needed", async () => {
    const emu = await start({ customers: defaultEstate() });
    const { client, scopesAsked } = clientFor(emu);
    const { body, pages } = await client.call({ target: `${emu.graphEndpoint}/v1.0/tenantRelationships/delegatedAdminRelationships?$top=2`, all: true });
    expect(pages).toBe(4);
    expect((body as { value: unknown[] }).value).toHaveLength(8);
    expect(scopesAsked[0]).toEqual([`${emu.graphEndpoint}/.default`]);
    expect(decodeJwt(await graphToken(emu)).payload.aud).toBe("https://graph.microsoft.com");
  });

  it("prints Graph's request-id and client-request-id with a failed Graph call, next to ours", async () => {
    const emu = await start({ customers: defaultEstate(), partnerGraphScopes: ["User.Read"] });
    const { client } = clientFor(emu);
    const error = (await client.call({ target: `${emu.graphEndpoint}/v1.0/tenantRelationships/delegatedAdminRelationships`, correlationId: "0f1e2d3c-0000-4000-8000-00000000beef" }).catch((e: unknown) => e)) as ApiCallError;
    expect(error).toBeInstanceOf(ApiCallError);
    const graphCall = emu.graph.calls.at(-1)!;
    expect(graphCall).toMatchObject({ status: 403, code: "Authorization_RequestDenied", clientRequestId: "0f1e2d3c-0000-4000-8000-00000000beef" });
    expect(error.message).toContain("HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.");
    expect(error.message).toMatch(/request id [0-9a-f-]{36}, correlation id 0f1e2d3c-0000-4000-8000-00000000beef/);
    expect(error.message).toContain(`Graph request-id ${graphCall.requestId}, client-request-id 0f1e2d3c-0000-4000-8000-00000000beef`);
  });

  it("prints no Graph ids for a Partner Center failure", async () => {
    const emu = await start({ bootstrapped: true });
    emu.partnerCenter.failNext(1, 404);
    const token = (await redeem(emu, emu.outputs.scopes[0])).body.access_token as string;
    const client = new ApiClient({ partnerCenterEndpoint: emu.partnerCenterEndpoint, getToken: async () => token });
    const error = (await client.call({ target: "/v1/customers" }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.message).toContain("HTTP 404");
    expect(error.message).not.toContain("Graph request-id");
  });

  it("waits out a Retry-After longer than its retry budget when the deadline allows, and says how long", async () => {
    const emu = await start({ customers: [{ consented: true, gdap: true, throttle: { retryAfterSeconds: 2 } }] });
    const deadline = new Deadline(30_000);
    const retries: string[] = [];
    const { client } = clientFor(emu, { deadline, transientBudgetMs: 500, retries });
    const started = Date.now();
    const { body } = await client.call({ target: `${emu.graphEndpoint}/v1.0/organization`, tenantId: emu.customers[0].tenantId });
    deadline.dispose();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect((body as { value: Array<{ id: string }> }).value[0]!.id).toBe(emu.customers[0].tenantId);
    expect(retries).toEqual([expect.stringMatching(/answered HTTP 429; retrying in 2 s\.$/)]);
  });

  it("fails with the server's Retry-After in the message when it ends after the deadline", async () => {
    const emu = await start({ customers: [{ consented: true, gdap: true, throttle: { retryAfterSeconds: 315 } }] });
    const deadline = new Deadline(10_000);
    const { client } = clientFor(emu, { deadline });
    const error = (await client.call({ target: `${emu.graphEndpoint}/v1.0/organization`, tenantId: emu.customers[0].tenantId }).catch((e: unknown) => e)) as Error;
    deadline.dispose();
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.message).toMatch(/HTTP 429 TooManyRequests.*the service asked to wait 315 s \(Retry-After\), more than the \d+ s left before the command's deadline/s);
  });
});
