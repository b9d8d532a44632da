/**
 * Small HTTP(S) helpers shared by the stand-ins: a server bound to the loopback
 * interface only, body readers and response writers. Nothing here logs.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

/** Key and certificate (PEM) for an HTTPS server. */
export interface ServerTls {
  key: string;
  cert: string;
}

/** A request handler; a thrown error becomes a bare 500. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/**
 * An HTTPS (or, without `tls`, plain HTTP) server on 127.0.0.1 and — when the
 * machine has IPv6 loopback — ::1 on the same port, so `localhost` works
 * whichever address a client resolves it to. Never binds a routable address.
 */
export class LoopbackServer {
  private readonly servers: http.Server[] = [];
  private boundPort = 0;

  constructor(
    private readonly handler: Handler,
    private readonly tls?: ServerTls,
  ) {}

  /** The bound port; 0 before {@link start}. */
  get port(): number {
    return this.boundPort;
  }

  /** Starts listening on an ephemeral port (or `port`) and resolves with it. */
  async start(port = 0): Promise<number> {
    if (this.servers.length) throw new Error("server already started");
    const first = this.create();
    await listen(first, port, "127.0.0.1");
    this.servers.push(first);
    this.boundPort = (first.address() as AddressInfo).port;
    const second = this.create();
    try {
      await listen(second, this.boundPort, "::1");
      this.servers.push(second);
    } catch {
      // No IPv6 loopback here; 127.0.0.1 alone serves `localhost`.
    }
    return this.boundPort;
  }

  /** Closes the listeners and every open connection. */
  async stop(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  private create(): http.Server {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      Promise.resolve()
        .then(() => this.handler(req, res))
        .catch(() => {
          if (!res.headersSent) sendJson(res, 500, { error: "stand-in failure" });
          else res.destroy();
        });
    };
    const server = this.tls ? https.createServer({ key: this.tls.key, cert: this.tls.cert }, listener) : http.createServer(listener);
    server.keepAliveTimeout = 5_000;
    return server;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, ipv6Only: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Reads the whole request body (at most `limit` bytes, else rejects). */
export function readBody(req: http.IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Reads an `application/x-www-form-urlencoded` body; any other content type yields no fields. */
export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const body = await readBody(req);
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/x-www-form-urlencoded" ? new URLSearchParams(body.toString("utf8")) : new URLSearchParams();
}

/** Writes a JSON response. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** Writes an HTML page. */
export function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    "x-frame-options": "DENY",
  });
  res.end(html);
}

/** Writes a 302 to `location`. */
export function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { location, "content-length": 0, "cache-control": "no-store" });
  res.end();
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A random base64url string of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** A random lowercase hex string of `bytes` random bytes. */
export function randomHex(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** The request's path and query, parsed against a dummy origin. */
export function requestUrl(req: http.IncomingMessage): URL {
  return new URL(req.url ?? "/", "https://stand-in.invalid");
}
