/**
 * The fan-out engine with its per-customer contexts: one 429 pauses every
 * worker talking to that host, a customer whose token fails gets no further
 * requests and is reported once, and a customer that hangs is bounded by the
 * request timeout while the rest finish.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { catalogError } from "../../../bootstrap/src/core/error-catalogue";
import { HostThrottle } from "../../../bootstrap/src/core/host-throttle";
import type { TokenRequest } from "../../../bootstrap/src/partner-center/api-client";
import { runFleet, type CustomerResult } from "../../../bootstrap/src/fleet/fleet";
import type { FleetCustomer } from "../../../bootstrap/src/fleet/selection";
import { forEachCustomer } from "../../../bootstrap/src/fleet/for-each-customer";
import { GRAPH, PC } from "./fakes";

const customers: FleetCustomer[] = Array.from({ length: 12 }, (_, i) => ({ tenantId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, displayName: `C${i}`, inPartnerCenter: true }));
const tokenOf = (tenantId?: string) => `token-for-${tenantId ?? "partner"}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => vi.unstubAllGlobals());

async function all<T>(gen: AsyncGenerator<CustomerResult<T>, unknown>): Promise<Array<CustomerResult<T>>> {
  const out: Array<CustomerResult<T>> = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe("the fan-out engine", () => {
  it("pauses every worker talking to a host after one 429 with Retry-After, once, and then finishes every customer", async () => {
    const starts: Array<{ tenant: string; at: number }> = [];
    let throttledAt = 0;
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      const tenant = new Headers(init.headers).get("authorization")!.replace("Bearer token-for-", "");
      starts.push({ tenant, at: Date.now() });
      await sleep(15);
      if (tenant === customers[3]!.tenantId && throttledAt === 0) {
        throttledAt = Date.now();
        return new Response(JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } }), { status: 429, headers: { "retry-after": "1" } });
      }
      return new Response(JSON.stringify({ value: [] }), { status: 200 });
    });
    const throttle = new HostThrottle();
    const results = await all(
      runFleet(customers, (ctx) => ctx.call({ target: `${GRAPH}/v1.0/users` }), { partnerCenterEndpoint: PC, graphEndpoint: GRAPH, getToken: async (r) => tokenOf(r.tenantId), throttle, concurrency: 6 }),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results).toHaveLength(12);
    expect(throttledAt).toBeGreaterThan(0);
    // Nothing started on that host while the pause ran (a few ms of timer slack allowed).
    const during = starts.filter((s) => s.at > throttledAt && s.at < throttledAt + 950);
    expect(during).toEqual([]);
    expect(starts.filter((s) => s.at >= throttledAt + 950).length).toBeGreaterThan(1);
    expect(throttle.pauses.get("graph.test")).toBe(1);
  });

  it("reports a customer whose token cannot be obtained once and sends it no request", async () => {
    const requests: string[] = [];
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      requests.push(new Headers(init.headers).get("authorization")!);
      return new Response("{}", { status: 200 });
    });
    const tokenRequests: TokenRequest[] = [];
    const bad = customers[2]!.tenantId;
    const getToken = async (r: TokenRequest) => {
      tokenRequests.push(r);
      if (r.tenantId === bad) throw catalogError("customer_consent_missing");
      return tokenOf(r.tenantId);
    };
    const results = await all(
      runFleet(
        customers,
        async (ctx) => {
          // Three requests per customer: the breaker must stop all three after the first token failure.
          for (let i = 0; i < 3; i++) await ctx.call({ target: `${GRAPH}/v1.0/organization` }).catch((e: unknown) => (i === 2 ? Promise.reject(e) : undefined));
          return "done";
        },
        { partnerCenterEndpoint: PC, graphEndpoint: GRAPH, getToken, concurrency: 4 },
      ),
    );
    const failures = results.filter((r) => !r.ok);
    expect(failures.map((r) => r.customer.tenantId)).toEqual([bad]);
    expect(tokenRequests.filter((r) => r.tenantId === bad)).toHaveLength(1);
    expect(requests.filter((a) => a.includes(bad))).toEqual([]);
  });

  it("bounds a customer that hangs by the request timeout while the rest finish", async () => {
    const hanging = customers[5]!.tenantId;
    vi.stubGlobal("fetch", (_url: string, init: RequestInit) => {
      if (new Headers(init.headers).get("authorization")!.includes(hanging)) {
        return new Promise<Response>((_resolve, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason), { once: true }));
      }
      return Promise.resolve(new Response("{}", { status: 200 }));
    });
    const results = await all(
      runFleet(customers, (ctx) => ctx.call({ target: `${GRAPH}/v1.0/organization` }), { partnerCenterEndpoint: PC, graphEndpoint: GRAPH, getToken: async (r) => tokenOf(r.tenantId), requestTimeoutMs: 200, transientBudgetMs: 0 }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(11);
    const failed = results.find((r) => !r.ok)!;
    expect(failed.customer.tenantId).toBe(hanging);
    expect(String((failed as { error: Error }).error.message)).toMatch(/no answer within/);
  });

  it("is the library's forEachCustomer: every Partner Center customer of a shard, with the provider's tokens", async () => {
    vi.stubGlobal("fetch", async (url: string) => {
      if (String(url).startsWith(`${PC}/v1/customers`)) return new Response(JSON.stringify({ items: customers.map((c) => ({ id: c.tenantId, companyProfile: { tenantId: c.tenantId, companyName: c.displayName } })) }), { status: 200 });
      return new Response("{}", { status: 200 });
    });
    const provider = { defaultScopes: [`${PC}/user_impersonation`], getAccessToken: async (r: { tenantId?: string }) => tokenOf(r.tenantId) };
    const seen = new Set<string>();
    for (let shard = 1; shard <= 3; shard++) {
      const gen = forEachCustomer(provider as never, async (ctx) => ctx.customer.tenantId, { shard: `${shard}/3`, graphEndpoint: GRAPH });
      for await (const r of gen) {
        expect(r.ok).toBe(true);
        expect(seen.has(r.customer.tenantId)).toBe(false);
        seen.add(r.customer.tenantId);
      }
    }
    expect(seen.size).toBe(customers.length);
  });
});
