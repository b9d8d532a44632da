import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AuthorizationResponseCollector } from "./authorization-response";
import { SignInError, UsageError } from "./errors";

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
}

const PAGE_STYLE = "font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;line-height:1.5";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="${PAGE_STYLE}"><h1>${title}</h1><p>${body}</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Listens on 127.0.0.1 for the browser's redirect after sign-in. Only the
 * redirect path with the expected `state` completes the wait; other paths get
 * 404, a wrong state 400 (and the wait goes on). Once it has the code it
 * redirects the browser to a plain page, so the code leaves the address bar.
 */
export class LoopbackRedirectServer {
  readonly port: number;
  /** The redirect URI to send to Entra ID: the registered form `http://localhost:<port><path>`. */
  readonly redirectUri: string;
  private readonly server: Server;
  private readonly path: string;
  private readonly followUpGraceMs: number;
  private collector?: AuthorizationResponseCollector;
  /** Set once the browser was redirected; settles when it has fetched the final page. */
  private followUp?: Promise<void>;
  private followedUp?: () => void;

  private constructor(server: Server, port: number, path: string, followUpGraceMs: number) {
    this.server = server;
    this.port = port;
    this.path = path;
    this.followUpGraceMs = followUpGraceMs;
    this.redirectUri = `http://localhost:${port}${path}`;
    server.on("request", (req, res) => this.handle(req, res));
  }

  /** Binds the preferred port, or the next free one in the fallback range. */
  static async start(options: LoopbackRedirectServerOptions): Promise<LoopbackRedirectServer> {
    const range = options.fallbackPorts ?? { first: 8400, last: 8999 };
    const candidates = [options.preferredPort];
    for (let p = range.first; p <= range.last; p++) if (p !== options.preferredPort) candidates.push(p);
    for (const port of candidates) {
      const server = createServer();
      const bound = await new Promise<boolean>((resolve, reject) => {
        server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" || error.code === "EACCES" ? resolve(false) : reject(error)));
        server.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(true));
      });
      if (bound) return new LoopbackRedirectServer(server, port, options.path, options.followUpGraceMs ?? 2000);
    }
    throw new UsageError("no_free_port", `No free port for the sign-in redirect: ${options.preferredPort} and ${range.first}–${range.last} are all in use.`, {
      hint: "Close programs listening on those ports, or use --no-browser and paste the redirected address.",
    });
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
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.redirectUri);
    if (url.pathname !== this.path) return this.send(res, 404, page("Not found", "This address is only used to finish the partner-center-sam sign-in."));
    if (req.method !== "GET") return this.send(res, 405, page("Method not allowed", "Only GET is accepted here."));
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
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html);
  }
}

/** The error used when nobody finished the sign-in in time. */
export function signInTimeout(seconds: number): SignInError {
  return new SignInError("sign_in_timeout", `The sign-in did not finish within ${seconds} seconds.`, {
    hint: "Run `npm run bootstrap` again (use --timeout SECONDS for more time, or --no-browser to open the URL yourself).",
  });
}
