/**
 * MSAL's network module (entra/msal-network.ts) on the Azure SDK's HTTP client:
 * what it returns for an answer, and how it reports a request that got none
 * (refused, not JSON, past its timeout), keeping Node's code for the fixes of
 * core/network-problems.ts.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { AuthError } from "@azure/msal-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TimeoutNetworkClient } from "../../../bootstrap/src/entra/msal-network";
import { freeLoopbackPort } from "../../support/free-port";
import { testTls } from "../../support/global-setup";

let server: Server;
let base: string;
const seen: Array<{ method?: string; body: string; contentType?: string }> = [];

beforeAll(async () => {
  const { key, cert } = testTls();
  server = createServer({ key, cert }, (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, body, contentType: req.headers["content-type"] });
      if (req.url === "/hang") return; // never answers
      if (req.url === "/html") {
        res.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>");
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "x-ms-request-id": "r-1" }).end(JSON.stringify({ token_type: "Bearer", ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "localhost", resolve));
  base = `https://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("TimeoutNetworkClient", () => {
  it("posts the form body MSAL gives it and returns status, lower-case headers and the parsed JSON body", async () => {
    const client = new TimeoutNetworkClient();
    const answer = await client.sendPostRequestAsync<{ ok: boolean }>(`${base}/t/oauth2/v2.0/token`, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&scope=x",
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ token_type: "Bearer", ok: true });
    expect(answer.headers["x-ms-request-id"]).toBe("r-1");
    expect(seen.at(-1)).toEqual({ method: "POST", body: "grant_type=refresh_token&scope=x", contentType: "application/x-www-form-urlencoded" });
  });

  it("reports an answer that is not JSON as a network_error naming the host and the status", async () => {
    const error = await new TimeoutNetworkClient().sendGetRequestAsync(`${base}/html`).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthError", errorCode: "network_error" });
    expect((error as AuthError).errorMessage).toMatch(/^Entra ID https:\/\/localhost:\d+ \(GET \/html\) answered HTTP 502 with a body that is not JSON\.$/);
  });

  it("refuses a plain-http authority before connecting: a token request never goes out unencrypted", async () => {
    const before = seen.length;
    const error = await new TimeoutNetworkClient().sendPostRequestAsync(`${base.replace("https:", "http:")}/t/oauth2/v2.0/token`, { body: "x" }).catch((e: unknown) => e);
    expect((error as AuthError).errorCode).toBe("network_error");
    expect((error as AuthError).errorMessage).toMatch(/could not be reached: Cannot connect to http:.* while allowInsecureConnection is false\.$/);
    expect(seen.length).toBe(before);
  });

  it("reports a refused connection with Node's code, keeping the cause and telling onNetworkError", async () => {
    const told: AuthError[] = [];
    const port = freeLoopbackPort();
    const error = await new TimeoutNetworkClient({ onNetworkError: (e) => told.push(e) })
      .sendPostRequestAsync(`https://127.0.0.1:${port}/t/oauth2/v2.0/token`, { body: "x" })
      .catch((e: unknown) => e);
    expect((error as AuthError).errorMessage).toBe(`Entra ID https://127.0.0.1:${port} (POST /t/oauth2/v2.0/token) could not be reached: ECONNREFUSED.`);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe("ECONNREFUSED");
    expect(told).toEqual([error]);
  });

  it("gives up on a request that gets no answer within requestTimeoutMs, saying so", async () => {
    const started = Date.now();
    const error = await new TimeoutNetworkClient({ requestTimeoutMs: 300 }).sendPostRequestAsync(`${base}/hang`, { body: "x" }).catch((e: unknown) => e);
    expect((error as AuthError).errorCode).toBe("network_error");
    // Whole seconds, rounded up.
    expect((error as AuthError).errorMessage).toMatch(/^Entra ID https:\/\/localhost:\d+ \(POST \/hang\): no answer within 1 s\.$/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
