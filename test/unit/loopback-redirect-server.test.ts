import { request } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AuthorizationResponseCollector } from "../../bootstrap/src/authorization-response";
import { ExitCode, UsageError } from "../../bootstrap/src/errors";
import { LoopbackRedirectServer, type LoopbackRedirectServerOptions } from "../../bootstrap/src/loopback-redirect-server";
import { settlement } from "./fixtures";

// A high port area of our own, so these tests do not clash with the ones that use 8400–8999.
const FIRST_PORT = 18400;
const LAST_PORT = 18420;
const STATE = "loopback-state-0123456789";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over IPv4 (127.0.0.1 unless `host` says otherwise), without following redirects. */
function send(port: number, pathAndQuery: string, method = "GET", host = "127.0.0.1"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: pathAndQuery, method, agent: false, family: 4 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The error code of a plain TCP connection attempt, or "connected". */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const opened: Array<{ close(): unknown }> = [];

async function start(options: Partial<LoopbackRedirectServerOptions> = {}): Promise<LoopbackRedirectServer> {
  const server = await LoopbackRedirectServer.start({ preferredPort: FIRST_PORT, path: "/", fallbackPorts: { first: FIRST_PORT, last: LAST_PORT }, followUpGraceMs: 300, ...options });
  opened.push(server);
  return server;
}

/** Occupies `port` on 127.0.0.1 with a plain TCP listener of our own. */
async function occupy(port: number): Promise<Server> {
  const blocker = createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once("error", reject);
    blocker.listen({ port, host: "127.0.0.1", exclusive: true }, resolve);
  });
  opened.push({ close: () => new Promise((resolve) => blocker.close(resolve)) });
  return blocker;
}

/** A started server that routes redirects to a fresh collector. */
async function serving(): Promise<{ server: LoopbackRedirectServer; collector: AuthorizationResponseCollector }> {
  const server = await start();
  const collector = new AuthorizationResponseCollector(STATE);
  server.serve(collector);
  return { server, collector };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

describe("LoopbackRedirectServer", () => {
  describe("binding", () => {
    it("listens on 127.0.0.1 only, not on ::1 or other addresses", async () => {
      const server = await start();
      expect(server.port).toBe(FIRST_PORT);
      expect(await tryConnect("127.0.0.1", server.port)).toBe("connected");
      expect(await tryConnect("::1", server.port)).not.toBe("connected");
      expect(await tryConnect("127.0.0.2", server.port)).toBe("ECONNREFUSED");
    });

    it("announces the registered redirect URI form http://localhost:<port>/", async () => {
      const server = await start();
      expect(server.redirectUri).toBe(`http://localhost:${FIRST_PORT}/`);
      const withPath = await start({ preferredPort: FIRST_PORT + 1, path: "/callback" });
      expect(withPath.redirectUri).toBe(`http://localhost:${FIRST_PORT + 1}/callback`);
    });

    it("takes the next free port in the fallback range when the preferred one is busy", async () => {
      await occupy(FIRST_PORT);
      const server = await start();
      expect(server.port).toBe(FIRST_PORT + 1);
      expect(server.redirectUri).toBe(`http://localhost:${FIRST_PORT + 1}/`);
    });

    it("tries the preferred port first even when it lies outside the fallback range", async () => {
      const server = await start({ preferredPort: LAST_PORT, fallbackPorts: { first: FIRST_PORT, last: FIRST_PORT + 2 } });
      expect(server.port).toBe(LAST_PORT);
    });

    it("fails with no_free_port (exit 2) when every port is busy", async () => {
      for (const port of [FIRST_PORT + 10, FIRST_PORT + 11, FIRST_PORT + 12]) await occupy(port);
      const attempt = start({ preferredPort: FIRST_PORT + 10, fallbackPorts: { first: FIRST_PORT + 11, last: FIRST_PORT + 12 } });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect(error).toMatchObject({ code: "no_free_port", exitCode: ExitCode.Usage });
      expect((error as Error).message).toContain(`${FIRST_PORT + 10} and ${FIRST_PORT + 11}–${FIRST_PORT + 12}`);
    });
  });

  describe("requests", () => {
    it("answers 404 to the favicon and other paths without ending the wait", async () => {
      const { server, collector } = await serving();
      expect((await send(server.port, "/favicon.ico")).status).toBe(404);
      expect((await send(server.port, `/other?code=x&state=${STATE}`)).status).toBe(404);
      expect(await settlement(collector.response)).toBe("pending");
    });

    it("answers 405 to a POST on the redirect path", async () => {
      const { server, collector } = await serving();
      expect((await send(server.port, `/?code=x&state=${STATE}`, "POST")).status).toBe(405);
      expect(await settlement(collector.response)).toBe("pending");
    });

    it("answers 400 to a wrong state and keeps waiting for the right one", async () => {
      const { server, collector } = await serving();
      const wrong = await send(server.port, "/?code=attacker-code&state=not-ours");
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain("state mismatch");
      expect(await settlement(collector.response)).toBe("pending");

      expect((await send(server.port, `/?code=the-code&state=${STATE}`)).status).toBe(302);
      await expect(collector.response).resolves.toEqual({ code: "the-code" });
    });

    it("redirects the right response to the bare redirect URI, which then says the sign-in is complete without the code", async () => {
      const { server, collector } = await serving();
      const code = "0.AXEA-secret-authorization-code";
      const redirect = await send(server.port, `/?code=${code}&state=${STATE}&session_state=s`);
      expect(redirect.status).toBe(302);
      expect(redirect.headers.location).toBe(server.redirectUri);
      expect(redirect.headers["cache-control"]).toBe("no-store");
      await expect(collector.response).resolves.toEqual({ code });

      const location = new URL(redirect.headers.location as string);
      const page = await send(Number(location.port), location.pathname, "GET", location.hostname);
      expect(page.status).toBe(200);
      expect(page.body).toContain("Sign-in complete");
      expect(page.body).not.toContain(code);
    });

    it("on close, first lets the redirected browser fetch the sign-in-complete page, then stops listening", async () => {
      const { server } = await serving();
      expect((await send(server.port, `/?code=the-code&state=${STATE}`)).status).toBe(302);
      const closing = server.close();
      const page = await send(server.port, "/");
      expect(page.body).toContain("Sign-in complete");
      await closing;
      expect(await tryConnect("127.0.0.1", server.port)).toBe("ECONNREFUSED");
    });

    it("on close, waits no longer than the grace period for a browser that never comes back", async () => {
      const { server } = await serving();
      expect((await send(server.port, `/?code=the-code&state=${STATE}`)).status).toBe(302);
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await tryConnect("127.0.0.1", server.port)).toBe("ECONNREFUSED");

      const idle = await start({ preferredPort: FIRST_PORT + 6, followUpGraceMs: 10_000 });
      const idleStarted = Date.now();
      await idle.close(); // no browser was redirected: nothing to wait for
      expect(Date.now() - idleStarted).toBeLessThan(1000);
    });

    it("shows the identity provider's error, HTML-escaped, and ends the wait with it", async () => {
      const { server, collector } = await serving();
      const description = encodeURIComponent("AADSTS65004: User declined <script>alert(1)</script>");
      const reply = await send(server.port, `/?error=access_denied&error_description=${description}&state=${STATE}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toContain("Sign-in failed");
      expect(reply.body).toContain("AADSTS65004: User declined &#60;script&#62;");
      expect(reply.body).not.toContain("<script>");
      await expect(collector.response).rejects.toMatchObject({ errorCode: "access_denied" });
    });

    it("answers 400 while no sign-in is being served", async () => {
      const server = await start();
      const reply = await send(server.port, `/?code=x&state=${STATE}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toContain("No sign-in is running");
    });
  });

  it("stops listening on close", async () => {
    const server = await LoopbackRedirectServer.start({ preferredPort: FIRST_PORT + 5, path: "/", fallbackPorts: { first: FIRST_PORT + 5, last: FIRST_PORT + 5 } });
    await server.close();
    expect(await tryConnect("127.0.0.1", FIRST_PORT + 5)).toBe("ECONNREFUSED");
  });
});
