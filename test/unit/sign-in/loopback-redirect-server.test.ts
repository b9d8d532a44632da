import { request } from "node:http";
import { connect, createServer, Server as NetServer, type Server } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthorizationResponseCollector } from "../../../bootstrap/src/sign-in/authorization-response";
import { ExitCode, UsageError } from "../../../bootstrap/src/core/errors";
import { LoopbackRedirectServer, type LoopbackRedirectServerOptions } from "../../../bootstrap/src/sign-in/loopback-redirect-server";
import { settlement } from "../fixtures";

// A high port area of our own, so these tests do not clash with the ones that use 8400–8999.
const FIRST_PORT = 18400;
const LAST_PORT = 18420;
const STATE = "loopback-state-0123456789";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request over IPv4 (127.0.0.1 unless `host` says otherwise), without
 * following redirects, with the Host header a browser sends for the announced
 * `http://localhost:<port>/` unless `hostHeader` says otherwise.
 */
function send(port: number, pathAndQuery: string, method = "GET", host = "127.0.0.1", hostHeader = `localhost:${port}`): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: pathAndQuery, method, agent: false, family: host.includes(":") ? 6 : 4, headers: { host: hostHeader } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Writes `raw` bytes on a new TCP connection and resolves with everything the server sent until it closed (or 2 s passed). */
function sendRaw(port: number, raw: string | Buffer, host = "127.0.0.1"): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(raw));
    let text = "";
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), text });
    });
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

/** Occupies `port` on `host` (default 127.0.0.1) with a plain TCP listener of our own. */
async function occupy(port: number, host = "127.0.0.1"): Promise<Server> {
  const blocker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    blocker.once("error", reject);
    blocker.listen({ port, host, exclusive: true }, resolve);
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

/** Makes listening on `address` fail with EADDRNOTAVAIL, as on a machine that lacks it. */
function withoutAddress(address: string): void {
  const realListen = NetServer.prototype.listen;
  vi.spyOn(NetServer.prototype, "listen").mockImplementation(function (this: NetServer, ...args: unknown[]) {
    const options = args[0] as { host?: string } | undefined;
    if (typeof options === "object" && options?.host === address) {
      process.nextTick(() => this.emit("error", Object.assign(new Error(`listen EADDRNOTAVAIL ${address}`), { code: "EADDRNOTAVAIL" })));
      return this;
    }
    return (realListen as (...a: unknown[]) => NetServer).apply(this, args);
  });
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

describe("LoopbackRedirectServer", () => {
  describe("binding", () => {
    it("listens on 127.0.0.1 and ::1 on the same port, and on no other address", async () => {
      const server = await start();
      expect(server.port).toBe(FIRST_PORT);
      expect(server.addresses).toEqual(["127.0.0.1", "::1"]);
      expect(await tryConnect("127.0.0.1", server.port)).toBe("connected");
      expect(await tryConnect("::1", server.port)).toBe("connected");
      expect(await tryConnect("127.0.0.2", server.port)).toBe("ECONNREFUSED");
    });

    it("answers on ::1 like on 127.0.0.1, since localhost may resolve to either", async () => {
      const { server, collector } = await serving();
      const reply = await send(server.port, `/?code=v6-code&state=${STATE}`, "GET", "::1");
      expect(reply.status).toBe(302);
      await expect(collector.response).resolves.toEqual({ code: "v6-code" });
    });

    it("skips a port another process holds on ::1 only, so that process can never receive the code", async () => {
      const squatter = await occupy(FIRST_PORT, "::1");
      let squatterConnections = 0;
      squatter.on("connection", () => squatterConnections++);
      const server = await start();
      expect(server.port).toBe(FIRST_PORT + 1);
      expect(server.redirectUri).toBe(`http://localhost:${FIRST_PORT + 1}/`);
      // The skipped port was released on 127.0.0.1 again.
      expect(await tryConnect("127.0.0.1", FIRST_PORT)).toBe("ECONNREFUSED");
      expect(squatterConnections).toBe(0);
    });

    it("still starts, on 127.0.0.1 alone, when the machine has no ::1 (no IPv6)", async () => {
      withoutAddress("::1");
      const server = await start();
      expect(server.addresses).toEqual(["127.0.0.1"]);
      expect(server.port).toBe(FIRST_PORT);
      expect(await tryConnect("127.0.0.1", server.port)).toBe("connected");
    });

    it("fails with loopback_unavailable (exit 2) when the machine has no 127.0.0.1, holding no port", async () => {
      withoutAddress("127.0.0.1");
      const error = await start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "loopback_unavailable", exitCode: ExitCode.Usage });
      expect((error as Error).message).toContain("127.0.0.1");
      vi.restoreAllMocks();
      expect(await tryConnect("::1", FIRST_PORT)).toBe("ECONNREFUSED");
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

    it("fails with no_free_port (exit 2) naming the range and the fix when every port is busy, on either address", async () => {
      await occupy(FIRST_PORT + 10);
      await occupy(FIRST_PORT + 11, "::1");
      await occupy(FIRST_PORT + 12);
      const attempt = start({ preferredPort: FIRST_PORT + 10, fallbackPorts: { first: FIRST_PORT + 11, last: FIRST_PORT + 12 } });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect(error).toMatchObject({ code: "no_free_port", exitCode: ExitCode.Usage });
      expect((error as Error).message).toContain(`ports ${FIRST_PORT + 10} and ${FIRST_PORT + 11}–${FIRST_PORT + 12} are all in use on 127.0.0.1 or ::1`);
      const hint = (error as UsageError).hint ?? "";
      expect(hint).toContain(`${FIRST_PORT + 11}–${FIRST_PORT + 12}`);
      expect(hint).toContain("partner-center-sam:redirectUri");
      expect(hint).toContain("pulumi up");
      expect(hint).not.toContain("--no-browser");
    });

    it("does not repeat the preferred port in the message when it lies inside the range", async () => {
      await occupy(FIRST_PORT + 13);
      const error = await start({ preferredPort: FIRST_PORT + 13, fallbackPorts: { first: FIRST_PORT + 13, last: FIRST_PORT + 13 } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).toContain(`ports ${FIRST_PORT + 13}–${FIRST_PORT + 13} are all in use`);
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
    expect(await tryConnect("::1", FIRST_PORT + 5)).toBe("ECONNREFUSED");
  });
});

describe("LoopbackRedirectServer against hostile or malformed requests", () => {
  const host = (port: number) => `Host: localhost:${port}\r\n`;
  const cases: Array<[string, (port: number) => string | Buffer, number]> = [
    ["a request target that is not a path", (p) => `GET nonsense HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["a target of two slashes, which would parse as another host", (p) => `GET // HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["a protocol-relative target carrying the code", (p) => `GET //evil.example/?code=x&state=${STATE} HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["an absolute-form URL carrying the code", (p) => `GET http://localhost:${p}/?code=x&state=${STATE} HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["the asterisk form", (p) => `OPTIONS * HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["an unknown method", (p) => `BREW / HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["CONNECT", (p) => `CONNECT localhost:${p} HTTP/1.1\r\n${host(p)}\r\n`, 405],
    ["DELETE on the redirect path", (p) => `DELETE /?code=x&state=${STATE} HTTP/1.1\r\n${host(p)}\r\n`, 405],
    ["HEAD on the redirect path with a valid state", (p) => `HEAD /?code=x&state=${STATE} HTTP/1.1\r\n${host(p)}\r\n`, 405],
    ["a malformed percent-encoding", (p) => `GET /?code=%zz&state=%E0%A4%A HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["binary garbage", () => Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]), 400],
    ["a request line without a version", (p) => `GET /\r\n${host(p)}\r\n`, 400],
    ["headers larger than the parser allows", (p) => `GET / HTTP/1.1\r\n${host(p)}X-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["a query string longer than any redirect", (p) => `GET /?state=${STATE}&code=${"c".repeat(9000)} HTTP/1.1\r\n${host(p)}\r\n`, 400],
    ["a foreign Host (DNS rebinding)", () => `GET /?code=x&state=${STATE} HTTP/1.1\r\nHost: evil.example:80\r\n\r\n`, 400],
    ["a Host naming the IP address instead of localhost", (p) => `GET /?code=x&state=${STATE} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`, 400],
    ["a Host with another port", (p) => `GET /?code=x&state=${STATE} HTTP/1.1\r\nHost: localhost:${p + 1}\r\n\r\n`, 400],
    ["no Host header (HTTP/1.0)", () => `GET /?code=x&state=${STATE} HTTP/1.0\r\n\r\n`, 400],
    ["two Host headers, the first one right", (p) => `GET /?code=x&state=${STATE} HTTP/1.1\r\n${host(p)}Host: evil.example\r\n\r\n`, 400],
    ["a bad Content-Length", (p) => `POST / HTTP/1.1\r\n${host(p)}Content-Length: -1\r\n\r\n`, 400],
  ];

  it.each(cases)("answers %s with a page, does not settle the sign-in, and then completes with the real redirect", async (name, request, status) => {
    const { server, collector } = await serving();
    const reply = await sendRaw(server.port, request(server.port));
    expect(reply.status, reply.text).toBe(status);
    if (status !== 431 && !name.startsWith("HEAD")) expect(reply.text).toMatch(/<h1>(Bad request|Wrong address|Method not allowed|Unexpected sign-in response)<\/h1>/);
    expect(await settlement(collector.response)).toBe("pending");
    expect((await send(server.port, `/?code=the-code&state=${STATE}`)).status).toBe(302);
    await expect(collector.response).resolves.toEqual({ code: "the-code" });
  });

  it("accepts the announced host name in any letter case", async () => {
    const { server, collector } = await serving();
    expect((await send(server.port, `/?code=the-code&state=${STATE}`, "GET", "127.0.0.1", `LocalHost:${server.port}`)).status).toBe(302);
    await expect(collector.response).resolves.toEqual({ code: "the-code" });
  });

  it("survives a flood of connections that are opened and dropped mid-request", async () => {
    const { server, collector } = await serving();
    await Promise.all(
      Array.from({ length: 40 }, (_v, i) => {
        const socket = connect({ host: i % 2 ? "::1" : "127.0.0.1", port: server.port });
        socket.on("error", () => undefined);
        return new Promise<void>((resolve) => socket.on("connect", () => socket.end(`GET /?code=half`, () => resolve())));
      }),
    );
    expect(await settlement(collector.response)).toBe("pending");
    expect((await send(server.port, `/?code=the-code&state=${STATE}`)).status).toBe(302);
    await expect(collector.response).resolves.toEqual({ code: "the-code" });
  });
});
