import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { AuthorizationResponseCollector } from "./authorization-response";
import { catalogError } from "../core/error-catalogue";
import type { SamError } from "../core/errors";

/** Options for {@link LoopbackRedirectServer.start}. */
export interface LoopbackRedirectServerOptions {
  /** The port of the registered redirect URI; tried first. */
  preferredPort: number;
  /** The path of the registered redirect URI, e.g. "/". */
  path: string;
  /** Ports tried, in order, when the preferred one is busy. Default 8400–8999. */
  fallbackPorts?: { first: number; last: number };
  /**
   * After redirecting the browser, how long {@link LoopbackRedirectServer.close}
   * waits for it to fetch the "sign-in complete" page (ms). Default 2000.
   */
  followUpGraceMs?: number;
  /**
   * The loopback addresses to listen on, all on the same port. `localhost` may
   * resolve to either, so both are held: no other process can take the port on
   * the other one and receive the code. The first is required; a later one the
   * machine does not have (no IPv6) is skipped. Default `["127.0.0.1", "::1"]`.
   */
  addresses?: string[];
}

/** The default fallback range; Entra ID ignores the port of an http://localhost redirect URI. */
export const FALLBACK_PORTS = Object.freeze({ first: 8400, last: 8999 });

/** Longest request target answered (the redirect carries a code of 1–2 KB); longer ones get a 400 page. */
const MAX_TARGET_LENGTH = 8192;

const PAGE_STYLE = "font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;line-height:1.5";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="${PAGE_STYLE}"><h1>${title}</h1><p>${body}</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const BAD_REQUEST = page("Bad request", "This address is only used to finish the partner-center-sam sign-in, and this request was not one it understands.");

/** Writes a complete HTTP/1.1 answer on a raw socket and closes it (for requests the parser refused). */
function answerRaw(socket: Socket, status: number, reason: string, html: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = Buffer.from(html, "utf8");
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}

type ListenOutcome = "bound" | "busy" | "unavailable";

/** Listens on host:port; "busy" when another socket holds it, "unavailable" when the machine lacks the address. */
function listen(server: Server, port: number, host: string): Promise<ListenOutcome> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") resolve("busy");
      else if (error.code === "EADDRNOTAVAIL" || error.code === "EAFNOSUPPORT") resolve("unavailable");
      else reject(error);
    };
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve("bound");
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Listens on loopback (127.0.0.1 and ::1, same port) for the browser's redirect
 * after sign-in. Only a GET of the redirect path, addressed to the announced
 * `localhost:<port>` (a DNS-rebinding defence), with the expected `state`
 * completes the wait; anything else gets a 400, 404 or 405 page and the wait
 * goes on — no request can end it or crash it. Once it has the code it
 * redirects the browser to a plain page, so the code leaves the address bar.
 */
export class LoopbackRedirectServer {
  /** The port bound on every address. */
  readonly port: number;
  /** The redirect URI to send to Entra ID: the registered form `http://localhost:<port><path>`, with the port actually bound. */
  readonly redirectUri: string;
  /** The addresses listened on, e.g. ["127.0.0.1", "::1"]. */
  readonly addresses: readonly string[];
  private readonly servers: Server[];
  private readonly path: string;
  private readonly followUpGraceMs: number;
  /** Host header values this listener answers (lower case). */
  private readonly hosts: ReadonlySet<string>;
  private collector?: AuthorizationResponseCollector;
  /** Set once the browser was redirected; settles when it has fetched the final page. */
  private followUp?: Promise<void>;
  private followedUp?: () => void;

  private constructor(servers: Server[], port: number, path: string, followUpGraceMs: number) {
    this.servers = servers;
    this.port = port;
    this.path = path;
    this.followUpGraceMs = followUpGraceMs;
    // Normalised as a URL would be (port 80 is left out), so the URI sent is exactly the one a browser will ask for.
    this.redirectUri = new URL(`http://localhost:${port}${path}`).href;
    this.addresses = Object.freeze(servers.map((server) => (server.address() as AddressInfo).address));
    this.hosts = new Set(port === 80 ? ["localhost", "localhost:80"] : [`localhost:${port}`]);
    for (const server of servers) {
      server.on("request", (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
      // Requests the HTTP parser refuses (bad request line, unknown method, oversized headers).
      server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
        if (error.code === "ECONNRESET" || error.code === "EPIPE") socket.destroy();
        else if (error.code === "HPE_HEADER_OVERFLOW") answerRaw(socket, 431, "Request Header Fields Too Large", BAD_REQUEST);
        else answerRaw(socket, 400, "Bad Request", BAD_REQUEST);
      });
      server.on("connect", (_req: IncomingMessage, socket: Socket) => answerRaw(socket, 405, "Method Not Allowed", BAD_REQUEST));
      // After listening, an error (e.g. out of file descriptors on accept) must not end the process; the sign-in times out instead.
      server.on("error", () => undefined);
    }
  }

  /**
   * Binds the preferred port, or the next port of the fallback range that is
   * free on every address. Fails with `no_free_port` (exit 2) naming the range
   * and the fix when none is.
   */
  static async start(options: LoopbackRedirectServerOptions): Promise<LoopbackRedirectServer> {
    const range = options.fallbackPorts ?? FALLBACK_PORTS;
    const addresses = options.addresses ?? ["127.0.0.1", "::1"];
    const candidates = [options.preferredPort];
    for (let p = range.first; p <= range.last; p++) if (p !== options.preferredPort) candidates.push(p);
    for (const port of candidates) {
      const servers = await LoopbackRedirectServer.bindAll(port, addresses);
      if (servers) {
        const bound = (servers[0]!.address() as AddressInfo).port;
        return new LoopbackRedirectServer(servers, bound, options.path, options.followUpGraceMs ?? 2000);
      }
    }
    const tried = options.preferredPort >= range.first && options.preferredPort <= range.last ? "" : `${options.preferredPort} and `;
    throw catalogError("no_free_port", {
      message: `No free port for the sign-in redirect: ports ${tried}${range.first}–${range.last} are all in use on ${addresses.join(" or ")}.`,
      hint:
          `Stop a program listening on one of the ports ${range.first}–${range.last} (\`lsof -nP -iTCP:${range.first}-${range.last} -sTCP:LISTEN\` lists them), ` +
          "or register another redirect URI: `pulumi config set partner-center-sam:redirectUri http://localhost:PORT/` with a free PORT, `pulumi up`, then run the bootstrap again.",
    });
  }

  /** Listens on `port` on every address, or on none (undefined) when it is busy on one of them. */
  private static async bindAll(port: number, addresses: string[]): Promise<Server[] | undefined> {
    const servers: Server[] = [];
    let actualPort = port;
    for (const [index, host] of addresses.entries()) {
      const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 });
      let outcome: ListenOutcome;
      try {
        outcome = await listen(server, actualPort, host);
      } catch (error) {
        await Promise.all(servers.map(closeServer));
        throw error;
      }
      if (outcome === "bound") {
        servers.push(server);
        actualPort = (server.address() as AddressInfo).port;
        continue;
      }
      if (outcome === "unavailable" && index > 0) continue; // e.g. no IPv6 on this machine: nothing can listen on ::1 either
      await Promise.all(servers.map(closeServer));
      if (outcome === "busy") return undefined;
      throw catalogError("loopback_unavailable", {
        message: `Cannot listen on ${host} for the sign-in redirect: this machine has no such address.`,
        hint: "Enable the loopback interface, or run the bootstrap with --no-browser on a machine where it works.",
      });
    }
    return servers;
  }

  /** Routes redirects to `collector` from now on. */
  serve(collector: AuthorizationResponseCollector): void {
    this.collector = collector;
  }

  /**
   * Stops listening and drops open connections — after the browser, if it was
   * just redirected, has fetched the "sign-in complete" page (or the grace
   * period ran out), so it does not show a connection error instead.
   */
  async close(): Promise<void> {
    if (this.followUp) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.followUp, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.followUpGraceMs)))]);
      clearTimeout(timer);
    }
    await Promise.all(this.servers.map(closeServer));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch {
      // Nothing a request carries may end the sign-in; answer and keep waiting.
      if (!res.headersSent) this.send(res, 400, BAD_REQUEST);
      else res.destroy();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const hostHeaders = req.rawHeaders.filter((_v, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === "host");
    if (hostHeaders.length !== 1 || !this.hosts.has((req.headers.host ?? "").toLowerCase())) {
      return this.send(res, 400, page("Wrong address", `This listener only answers requests for ${escapeHtml(this.redirectUri)}.`));
    }
    const target = req.url ?? "";
    // Origin form only ("/path?query"): no absolute form, no "*", no "//host" that would parse as another host.
    if (!target.startsWith("/") || target.startsWith("//") || target.length > MAX_TARGET_LENGTH) return this.send(res, 400, BAD_REQUEST);
    const url = new URL(target, `http://localhost:${this.port}`);
    if (url.pathname !== this.path) return this.send(res, 404, page("Not found", "This address is only used to finish the partner-center-sam sign-in."));
    if (req.method !== "GET") {
      res.setHeader("Allow", "GET");
      return this.send(res, 405, page("Method not allowed", "Only GET is accepted here."));
    }
    if (this.collector?.finished && !url.searchParams.has("state")) {
      if (this.followedUp) res.once("finish", this.followedUp);
      return this.send(res, 200, page("Sign-in complete", "You can close this window and return to the terminal."));
    }
    if (!this.collector) return this.send(res, 400, page("Not ready", "No sign-in is running."));
    const outcome = this.collector.accept(url.searchParams);
    switch (outcome.kind) {
      case "wrong":
        return this.send(res, 400, page("Unexpected sign-in response", escapeHtml(outcome.message)));
      case "error":
        return this.send(res, 200, page("Sign-in failed", `${escapeHtml(outcome.message)} You can close this window; the terminal says what to do next.`));
      case "code":
        // Redirect to the bare redirect URI so the code does not stay in the address bar or history.
        this.followUp = new Promise((resolve) => (this.followedUp = resolve));
        res.writeHead(302, { Location: this.redirectUri, "Cache-Control": "no-store" });
        res.end();
    }
  }

  private send(res: ServerResponse, status: number, html: string): void {
    // A refused request gets its page and the connection closed; only good answers keep it for the browser's next request.
    if (status >= 400) res.shouldKeepAlive = false;
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html);
  }
}

/** The error used when nobody finished the sign-in in time. */
export function signInTimeout(seconds: number): SamError {
  return catalogError("sign_in_timeout", {
    message: `The sign-in did not finish within ${seconds} seconds.`,
    hint: "Run `partner-center-sam bootstrap` again (use --timeout SECONDS for more time, or --no-browser to open the URL yourself).",
  });
}
