import { authorizeRedirectError } from "../entra/entra-errors";
import type { SamError } from "../core/errors";

/** The authorization response the identity provider sent to the redirect URI. */
export interface AuthorizationResponse {
  code: string;
}

/** How one candidate response was judged. */
export type ResponseOutcome = { kind: "code" } | { kind: "error"; message: string } | { kind: "wrong"; message: string };

/**
 * Collects the authorization response for one sign-in, from the loopback
 * server or from an address the user pasted. Only a response with the expected
 * `state` counts; the first such response (code or error) settles `response`.
 */
export class AuthorizationResponseCollector {
  /** Settles with the code, or rejects with the identity provider's error. */
  readonly response: Promise<AuthorizationResponse>;
  private readonly expectedState: string;
  private resolve!: (r: AuthorizationResponse) => void;
  private reject!: (e: Error) => void;
  private done = false;

  constructor(expectedState: string) {
    this.expectedState = expectedState;
    this.response = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.response.catch(() => undefined);
  }

  /** True once a response settled the sign-in (or it was aborted). */
  get finished(): boolean {
    return this.done;
  }

  /** Judges the query parameters of a redirect. */
  accept(params: URLSearchParams): ResponseOutcome {
    if (this.done) return { kind: "wrong", message: "This sign-in has already finished." };
    if (params.get("state") !== this.expectedState) {
      return { kind: "wrong", message: "This response does not belong to the sign-in that is running (state mismatch), so it was ignored." };
    }
    const error = params.get("error");
    if (error) {
      const description = params.get("error_description") ?? error;
      this.settle(() => this.reject(authorizeRedirectError(params)));
      return { kind: "error", message: description.split(/\r?\n/)[0]!.replace(/\s*Trace ID:.*$/, "") };
    }
    const code = params.get("code");
    if (!code) return { kind: "wrong", message: "The response carries neither a code nor an error." };
    this.settle(() => this.resolve({ code }));
    return { kind: "code" };
  }

  /**
   * Judges an address pasted by the user (the one the browser was redirected to).
   * Returns a message for the user when it does not settle the sign-in.
   */
  acceptPastedUrl(text: string): string | undefined {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      return "That is not a URL. Paste the whole address from the browser's address bar.";
    }
    const outcome = this.accept(url.searchParams);
    return outcome.kind === "wrong" ? outcome.message : undefined;
  }

  /** Fails the sign-in, for example on timeout. */
  abort(error: SamError): void {
    this.settle(() => this.reject(error));
  }

  private settle(action: () => void): void {
    if (this.done) return;
    this.done = true;
    action();
  }
}
