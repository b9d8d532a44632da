import { networkProblem, networkProblemError } from "../core/network-problems";
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import { redactErrorTexts } from "../core/terminal";
import { explainCustomerTenantError } from "./customer-tenant-errors";
import { describeCredential, explainCertificateError, type UsedCredential } from "./credential-errors";

/** What the caller was doing when Entra ID answered with an error. */
export interface EntraErrorContext {
  /** `sign-in`: the interactive bootstrap; `refresh`: redeeming the stored refresh token. */
  phase: "sign-in" | "refresh";
  /** The redirect URI that was sent, for AADSTS50011. */
  redirectUri?: string;
  /** Where an admin grants consent, for AADSTS65001. */
  adminConsentUrl?: string;
  /**
   * The customer tenant (id or verified domain) a refresh was redeemed in, when
   * it was not the partner's own: then the app's absence there and a missing
   * GDAP role get their own errors.
   */
  customerTenant?: string;
  /**
   * The secrets the request sent (refresh token, client secret, authorization
   * code, PKCE verifier): Entra's error_description may echo parts of a request,
   * so they are removed from every text of the error before it is quoted or kept.
   */
  secrets?: readonly string[];
  /** The app credential the request carried (certificate or client secret), for the messages about it. */
  credential?: UsedCredential;
}

/**
 * The parts of an Entra ID error that code may act on. Microsoft's error
 * reference says never to react to `error_description`, so the AADSTS number
 * comes from structured fields only; the description is kept for display.
 */
export interface EntraErrorFields {
  /** The OAuth error code (`invalid_grant`, `invalid_client`, …), or MSAL's own code (`network_error`); "" when there is none. */
  error: string;
  /** The AADSTS number from MSAL's `errorNo` or the response's `error_codes`; undefined when Entra sent none (e.g. an authorize redirect). */
  aadsts?: string;
  /** Entra's `suberror` (token endpoint) or `error_subcode` (authorize redirect). */
  suberror?: string;
  /** The Conditional Access claims challenge Entra attached, if any. */
  claims?: string;
  /** Entra's description (or MSAL's message), for display only. */
  description: string;
}

interface ErrorLike {
  errorCode?: unknown;
  error?: unknown;
  errorNo?: unknown;
  error_codes?: unknown;
  subError?: unknown;
  suberror?: unknown;
  errorSubcode?: unknown;
  error_subcode?: unknown;
  claims?: unknown;
  errorMessage?: unknown;
  error_description?: unknown;
  message?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function aadstsNumber(value: unknown): string | undefined {
  const candidate = Array.isArray(value) ? value[0] : value;
  const digits = typeof candidate === "number" ? String(candidate) : typeof candidate === "string" ? candidate.trim() : "";
  return /^[1-9]\d{0,9}$/.test(digits) ? digits : undefined;
}

/**
 * Reads an error thrown by msal-node (`ServerError`, `InteractionRequiredAuthError`,
 * `ClientAuthError`), a parsed token-endpoint error body, or an authorize-redirect
 * error (`{ errorCode, errorMessage }`), without looking inside the description.
 */
export function readEntraError(error: unknown): EntraErrorFields {
  const e = (typeof error === "object" && error !== null ? error : {}) as ErrorLike;
  return {
    error: text(e.errorCode) ?? text(e.error) ?? "",
    aadsts: aadstsNumber(e.errorNo) ?? aadstsNumber(e.error_codes),
    suberror: text(e.subError) ?? text(e.suberror) ?? text(e.errorSubcode) ?? text(e.error_subcode),
    claims: text(e.claims),
    description: text(e.error_description) ?? text(e.errorMessage) ?? text(e.message) ?? (error === undefined || error === null ? "" : String(error)),
  };
}

/**
 * The error an authorize redirect carries. Entra's redirect has only `error`,
 * `error_description`, `error_subcode` and `state` — no `error_codes` — so the
 * AADSTS number is read here, once, from the `AADSTSn:` that starts the
 * description, and handed on as `errorNo` like msal-node's errors.
 */
export function authorizeRedirectError(params: URLSearchParams): Error & { errorCode: string; errorMessage: string; errorNo?: string; errorSubcode?: string } {
  const errorCode = params.get("error") ?? "";
  const errorMessage = params.get("error_description") ?? errorCode;
  return Object.assign(new Error(errorMessage), {
    errorCode,
    errorMessage,
    errorNo: /^AADSTS(\d{1,10}):/.exec(errorMessage)?.[1],
    errorSubcode: params.get("error_subcode") ?? undefined,
  });
}

// CSI/OSC terminal escape sequences, then any remaining C0/C1 control character.
// eslint-disable-next-line no-control-regex
const TERMINAL_ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** The first sentence of an Entra error description, without trace and correlation ids or terminal control characters. */
export function shortDescription(description: string | undefined): string {
  if (!description) return "";
  // msal-node wraps the server's text: "Error(s): 70008 - Timestamp: … - Description: AADSTS70008: … - Correlation ID: …".
  const described = description.match(/ - Description: (.*)/s)?.[1] ?? description;
  const firstLine = described.split(/\r?\n/)[0]!.replace(/\s*(?:-\s*)?(Trace ID|Correlation ID|Timestamp):.*$/i, "");
  return firstLine.replace(TERMINAL_ESCAPES, "").trim();
}

/**
 * True when Entra ID refused the app's credential in a way a fresher copy from
 * the vault may fix: an invalid (AADSTS7000215) or expired (AADSTS7000222) client
 * secret, a certificate the app does not know or that expired (AADSTS700027),
 * or an `invalid_client` without a number. Callers re-read the vault once, then give up.
 */
export function isClientSecretRejection(error: unknown): boolean {
  const { error: code, aadsts } = readEntraError(error);
  return aadsts === "7000215" || aadsts === "7000222" || aadsts === "700027" || (code === "invalid_client" && aadsts === undefined);
}

const REFRESH_TOKEN_DEAD: Record<string, string> = {
  "700082": "The stored refresh token expired: it was not used for 90 days.",
  "70008": "The stored refresh token has expired.",
  "70043": "The stored refresh token is older than the sign-in frequency a Conditional Access policy allows.",
  "50173": "Entra ID revoked the stored refresh token: it was issued before the user's sessions were revoked (an admin revocation or a password reset does that).",
  "50076": "Entra ID requires a fresh multi-factor sign-in for this user.",
  "50078": "The user's multi-factor authentication has expired or must be re-registered.",
  "50079": "The user must register for multi-factor authentication before Entra ID issues tokens again.",
  "53003": "A Conditional Access policy blocked the token request.",
  "65001": "The user or an admin has not consented to the app's permissions.",
};

/** OAuth `error` values after which the stored refresh token cannot be redeemed without a person. */
const REFRESH_NEEDS_PERSON = new Set(["invalid_grant", "interaction_required", "consent_required", "login_required"]);

function withNumber(error: string, aadsts: string | undefined): string {
  return aadsts ? `${error}, AADSTS${aadsts}` : error;
}

/**
 * Turns an error from MSAL (or Entra ID's token endpoint, or an authorize
 * redirect) into a typed error whose message says what happened and whose hint
 * says what to do. Decisions use the OAuth error code and the AADSTS number
 * from structured fields; Entra's description is only quoted.
 */
export function explainEntraError(error: unknown, context: EntraErrorContext): SamError {
  if (error instanceof SamError) return error;
  redactErrorTexts(error, context.secrets ?? []);
  const fields = readEntraError(error);
  const { aadsts: code, error: oauthError } = fields;
  const summary = shortDescription(fields.description) || "no description";
  const opts = { aadsts: code, cause: error };
  const consent = context.adminConsentUrl
    ? `An admin can grant consent for the organization at ${context.adminConsentUrl}, or set \`grantAdminConsent: true\` and run \`pulumi up\`.`
    : "An admin must grant consent (set `grantAdminConsent: true` and run `pulumi up`, or use the stack's adminConsentUrl output).";
  const again = context.phase === "refresh" ? "run the command again" : "run `partner-center-sam bootstrap` again";

  if (context.customerTenant) {
    const customerError = explainCustomerTenantError(fields, context.customerTenant, opts);
    if (customerError) return customerError;
    if (code === "90002" || oauthError === "invalid_tenant") {
      return catalogError("tenant_not_found", {
        message: `Entra ID does not know the tenant ${context.customerTenant} (${withNumber(oauthError || "error", code)}).`,
        ...opts,
        hint: "Check the customer's tenant id or verified domain (Partner Center lists them for each customer), then try again.",
      });
    }
  }

  const certificateError = explainCertificateError(code, context.credential, opts);
  if (certificateError) return certificateError;

  switch (code) {
    case "50011":
      return catalogError("redirect_uri_mismatch", {
        message: `Entra ID rejected the redirect URI ${context.redirectUri ?? "(unknown)"}: it is not registered on the app (AADSTS50011).`,
        ...opts,
        hint: "Run `pulumi up` so the app registration has the stack's redirectUri, and make sure the stack outputs you pass are current.",
      });
    case "7000215":
      return catalogError("invalid_client_secret", {
        message: "Entra ID rejected the app's client secret (AADSTS7000215): it was rotated, has expired, or a new one has not replicated yet.",
        ...opts,
        hint: "Wait a minute and try again; if it persists, run `pulumi up` so the vault holds the app's current secret, then `partner-center-sam status`.",
      });
    case "7000222":
      return catalogError("client_secret_expired", {
        message: "Entra ID says the app's client secret has expired (AADSTS7000222).",
        ...opts,
        hint: `Run \`pulumi up\`: the stack creates a new client secret and stores it in the vault; then ${again}.`,
      });
    case "7000218":
      return catalogError("client_secret_missing", {
        message: "Entra ID expected a client secret and got none (AADSTS7000218).",
        ...opts,
        hint: "Check that the vault's client-secret secret is present and not empty (`partner-center-sam status`); run `pulumi up` to restore it.",
      });
    case "700025":
      return catalogError("public_client_app", {
        message: "The app registration is marked as a public client, so Entra ID refuses its client secret (AADSTS700025).",
        ...opts,
        hint: "Turn off 'Allow public client flows' on the app registration (run `pulumi up` to restore the stack's settings).",
      });
    case "700016":
    case "90002":
      return catalogError("app_or_tenant_not_found", {
        message: `Entra ID does not know this app or tenant (AADSTS${code}).`,
        ...opts,
        hint: "Check that the tenant and client ids come from the current stack (`pulumi up`, then pass fresh outputs).",
      });
  }

  if (context.phase === "refresh") {
    if (code && code in REFRESH_TOKEN_DEAD) {
      return catalogError("consent_required", { message: `${REFRESH_TOKEN_DEAD[code]} (AADSTS${code})`, ...opts });
    }
    if (REFRESH_NEEDS_PERSON.has(oauthError)) {
      return catalogError("consent_required", { message: `Entra ID no longer accepts the stored refresh token (${withNumber(oauthError, code)}): ${summary}`, ...opts });
    }
  } else {
    switch (code) {
      case "65001":
        return catalogError("consent_missing", { message: "The app's permissions have not been consented (AADSTS65001).", ...opts, hint: consent });
      case "65004":
        return catalogError("consent_declined", {
          message: "The user declined the app's permissions (AADSTS65004).",
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again and accept the permissions, or ask an admin to grant consent.",
        });
      case "50076":
      case "50078":
      case "50079":
        return catalogError("mfa_required", {
          message: `Entra ID requires multi-factor authentication for this sign-in (AADSTS${code}).`,
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again and complete the MFA prompt; the user needs MFA registered.",
        });
      case "53003":
        return catalogError("conditional_access_blocked", {
          message: "A Conditional Access policy blocked the sign-in (AADSTS53003).",
          ...opts,
          hint: "Ask your Entra ID admin which policy applies (sign-in logs) and sign in from a compliant device or location.",
        });
      case "700082":
      case "70008":
        return catalogError("code_expired", {
          message: `The authorization code expired before it was redeemed (AADSTS${code}).`,
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again and finish the sign-in without long pauses.",
        });
    }
    switch (oauthError) {
      case "access_denied":
        // Entra redirects a cancelled consent as access_denied with error_subcode=cancel.
        if (fields.suberror === "cancel") {
          return catalogError("consent_declined", {
            message: `The user declined the app's permissions: ${summary}`,
            ...opts,
            hint: "Run `partner-center-sam bootstrap` again and accept the permissions, or ask an admin to grant consent.",
          });
        }
        return catalogError("sign_in_denied", {
          message: `The sign-in was denied: ${summary}`,
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again and accept the permissions, or ask an admin to grant consent.",
        });
      case "consent_required":
        return catalogError("consent_missing", { message: `The app's permissions have not been consented (${withNumber(oauthError, code)}): ${summary}`, ...opts, hint: consent });
      case "interaction_required":
      case "login_required":
        return catalogError("sign_in_incomplete", {
          message: `Entra ID needs more from the user to finish the sign-in (${withNumber(oauthError, code)}): ${summary}`,
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again and complete every prompt in the browser (account, password, MFA, consent).",
        });
      case "invalid_grant":
        return catalogError("code_rejected", {
          message: `Entra ID did not accept the authorization code (${withNumber(oauthError, code)}): ${summary}`,
          ...opts,
          hint: "Run `partner-center-sam bootstrap` again; each sign-in's code can be redeemed once, within minutes.",
        });
    }
  }

  switch (oauthError) {
    case "invalid_request":
      return catalogError("invalid_request", {
        message: `Entra ID rejected the request as malformed (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint: `The request is built from the stack outputs, the vault and --authority-host / AZURE_AUTHORITY_HOST: run \`pulumi up\`, pass fresh outputs, check the authority host, then ${again}.`,
      });
    case "invalid_scope":
      return catalogError("invalid_scope", {
        message: `Entra ID rejected the requested scopes (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint: `Check the stack's scopes output (the Partner Center scope is https://api.partnercenter.microsoft.com/user_impersonation) and that the app registration has that API permission; run \`pulumi up\`, then ${again}.`,
      });
    case "unauthorized_client":
      return catalogError("unauthorized_client", {
        message: `Entra ID does not allow this app to make this request (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint: "Check that the client id is the stack's app registration in this tenant and that the app is enabled; run `pulumi up` and pass fresh outputs.",
      });
    case "invalid_client":
      return catalogError("invalid_client", {
        message: `Entra ID could not authenticate the app${context.credential ? ` with ${describeCredential(context.credential)}` : ""} (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint: `Run \`pulumi up\` so the vault holds the app's current client id and ${context.credential?.kind === "certificate" ? "certificate (`partner-center-sam status` shows the certificate's expiry and thumbprint)" : "secret (`partner-center-sam status` shows the secret's expiry)"}, then ${again}.`,
      });
    case "unsupported_grant_type":
      return catalogError("unsupported_grant_type", {
        message: `Entra ID refused the grant type (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint: "Check that --authority-host / AZURE_AUTHORITY_HOST points at Entra ID (e.g. https://login.microsoftonline.com), then run the command again.",
      });
    case "temporarily_unavailable":
    case "server_error":
      return catalogError("entra_unavailable", {
        message: `Entra ID could not process the request right now (${withNumber(oauthError, code)}): ${summary}`,
        ...opts,
        hint:
            context.phase === "refresh"
              ? "Nothing was changed: the stored refresh token was not replaced. Run the command again in a few minutes."
              : "Nothing was stored. Run `partner-center-sam bootstrap` again in a few minutes.",
      });
    case "network_error": {
      const problem = networkProblem(error);
      if (problem) return networkProblemError(problem, { service: "Entra ID", url: String((error as { url?: unknown }).url ?? "its host"), cause: error });
      return catalogError("entra_unreachable", {
        message: `Could not reach Entra ID: ${summary}`,
        ...opts,
        hint: "Check the network, any proxy, and --authority-host / AZURE_AUTHORITY_HOST, then run the command again.",
      });
    }
    case "token_parsing_error":
      return catalogError("entra_unreadable_answer", {
        message: `Entra ID's answer could not be read: ${summary}`,
        ...opts,
        hint: "Check that --authority-host / AZURE_AUTHORITY_HOST points at Entra ID and that no proxy or captive portal answers instead, then run the command again.",
      });
  }

  return catalogError("entra_error", {
    message: `Entra ID returned an error${oauthError ? ` (${withNumber(oauthError, code)})` : code ? ` (AADSTS${code})` : ""}: ${summary}`,
    ...opts,
    hint: code
      ? `Look up AADSTS${code} in Microsoft's Entra ID error reference; run the command again once it is fixed.`
      : oauthError
        ? `Look up the '${oauthError}' error in Microsoft's Entra ID documentation; run the command again once it is fixed.`
        : "Check the network and the authority host, then run the command again.",
  });
}
