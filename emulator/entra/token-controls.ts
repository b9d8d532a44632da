/**
 * The token half of the `EntraEmulator` facade: what a test does to, and learns
 * about, the tokens the stand-in hands out — faults of the authorize and token
 * endpoints, a hold on token answers, the clock, the refresh-token store (issue,
 * invalidate, validity, uses, newest) and every secret issued. It is a base
 * class so these methods stay on `EntraEmulator` itself while ./index keeps the
 * servers and the directory set-up; like there, each method delegates to the
 * module that does the work, over the state the subclass creates.
 */
import type { EntraState } from "./state";
import * as tokenEndpoint from "./token-endpoint";
import * as tokens from "./tokens";
import type { AuthorizeFault, RefreshTokenInvalidation, TokenFault } from "./types";

/** The token-facing methods of `EntraEmulator` (see ./index). */
export abstract class EntraTokenControls {
  /** The private state every module works on, created by `EntraEmulator`. */
  protected abstract readonly state: EntraState;

  /**
   * Holds every token-endpoint answer from now until the returned function is
   * called — to see how many requests a client has in flight at once
   * ({@link heldTokenRequests}). Not a behaviour of Entra ID; a test's lens.
   */
  holdTokenResponses(): () => void {
    return tokenEndpoint.holdTokenResponses(this.state);
  }

  /** Token requests received and held by {@link holdTokenResponses}, not answered yet. */
  get heldTokenRequests(): number {
    return this.state.held;
  }

  /** The next authorize request that names a valid client and redirect URI is answered with this error. */
  failNextAuthorize(fault: AuthorizeFault): void {
    this.state.authorizeFaults.push(fault);
  }

  /**
   * The next token request (queued: one fault per request) fails with this
   * error. A standard `code` gets Entra's suberror and, for 50076 / 50079 /
   * 53003, its Conditional Access `claims` challenge unless the fault says otherwise.
   */
  failNextToken(fault: TokenFault): void {
    tokenEndpoint.failNextToken(this.state, fault);
  }

  /**
   * Not an answer real Entra is known to give (it returns a new refresh token on
   * every refresh_token redemption with offline_access): the next successful
   * refresh_token redemption leaves `refresh_token` out, to test a client's handling.
   */
  omitNextRefreshToken(): void {
    this.state.omitRefreshTokens++;
  }

  /**
   * The next user access token is opaque (not a JWT), as Entra issues for some
   * resources; not known to happen for Partner Center — a fault to test a client.
   */
  opaqueNextAccessToken(): void {
    this.state.opaqueAccessTokens++;
  }

  /** Every refresh token existing now (of one user, or all) fails from now on with this error. Returns how many. */
  invalidateRefreshTokens(options: RefreshTokenInvalidation): number {
    return tokens.invalidateRefreshTokens(this.state, options);
  }

  /**
   * Every secret value this stand-in handed out, oldest first: authorization
   * codes, access tokens (user and app), id tokens and refresh tokens — for
   * tests that check no such value is ever printed.
   */
  issuedSecrets(): string[] {
    return [...this.state.issued];
  }

  /**
   * True while `token` would be accepted by the refresh_token grant (ignoring
   * scope and consent). A used token stays valid, as in Entra, unless
   * `singleUseRefreshTokens` is on.
   */
  isRefreshTokenValid(token: string): boolean {
    return tokens.isRefreshTokenValid(this.state, token);
  }

  /** How many times `token` was redeemed successfully (0 for an unknown token). */
  refreshTokenUses(token: string): number {
    return tokens.refreshTokenUses(this.state, token);
  }

  /**
   * The refresh token most recently issued to `username` for `clientId`, by code
   * or refresh redemption, in the app's own tenant — or, with `tenantId`, by a
   * redemption in that (customer) tenant.
   */
  newestRefreshToken(clientId: string, username: string, tenantId?: string): string | undefined {
    return tokens.newestRefreshToken(this.state, clientId, username, tenantId);
  }

  /**
   * Issues a refresh token as if `username` had signed in to `clientId` and
   * consented to `scopes` — for tests that start after the bootstrap. A user of
   * another tenant (where a multi-tenant app is consented) gets a token issued
   * in that tenant, as an existing token from elsewhere would be.
   */
  issueRefreshToken(options: { tenantId: string; clientId: string; username: string; scopes: string[] }): string {
    return tokens.issueRefreshToken(this.state, options);
  }

  /** Moves the stand-in's clock (code and refresh-token expiry, token iat/exp) forward. */
  advanceClock(seconds: number): void {
    this.state.clockOffsetMs += seconds * 1000;
  }
}
