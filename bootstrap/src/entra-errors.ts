import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError } from "./errors";

/** What the caller was doing when Entra ID answered with an error. */
export interface EntraErrorContext {
  /** `sign-in`: the interactive bootstrap; `refresh`: redeeming the stored refresh token. */
  phase: "sign-in" | "refresh";
  /** The redirect URI that was sent, for AADSTS50011. */
  redirectUri?: string;
  /** Where an admin grants consent, for AADSTS65001. */
  adminConsentUrl?: string;
}

/** Extracts the AADSTS number from an Entra error message, e.g. "AADSTS70008: …" → "70008". */
export function aadstsCode(text: string | undefined): string | undefined {
  return text?.match(/AADSTS(\d+)/)?.[1];
}

/** The first sentence of an Entra error description, without trace and correlation ids. */
export function shortDescription(text: string | undefined): string {
  if (!text) return "";
  // msal-node wraps the server's text: "Error(s): 70008 - Timestamp: … - Description: AADSTS70008: … - Correlation ID: …".
  const described = text.match(/ - Description: (.*)/s)?.[1] ?? text;
  const firstLine = described.split(/\r?\n/)[0]!.replace(/\s*(?:-\s*)?(Trace ID|Correlation ID|Timestamp):.*$/i, "");
  return firstLine.trim();
}

interface ErrorLike {
  errorCode?: string;
  errorMessage?: string;
  message?: string;
  subError?: string;
}

const REFRESH_TOKEN_DEAD: Record<string, string> = {
  "700082": "The stored refresh token expired: it was not used for 90 days.",
  "70008": "The stored refresh token has expired.",
  "50173": "The stored refresh token was revoked, usually because the user changed their password or an admin revoked their sessions.",
  "50076": "Entra ID requires a fresh multi-factor sign-in for this user.",
  "50078": "The user's multi-factor authentication has expired or must be re-registered.",
  "53003": "A Conditional Access policy blocked the token request.",
  "65001": "The user or an admin has not consented to the app's permissions.",
};

/**
 * Turns an error from MSAL (or Entra ID's token endpoint) into a typed error
 * with a message that says what happened and what to do. Unknown errors keep
 * the first sentence of Entra's description.
 */
export function explainEntraError(error: unknown, context: EntraErrorContext): SamError {
  if (error instanceof SamError) return error;
  const e = (error ?? {}) as ErrorLike;
  const description = e.errorMessage ?? e.message ?? String(error);
  const code = aadstsCode(description);
  const opts = { aadsts: code, cause: error };
  const consent = context.adminConsentUrl
    ? `An admin can grant consent for the organization at ${context.adminConsentUrl}, or set \`grantAdminConsent: true\` and run \`pulumi up\`.`
    : "An admin must grant consent (set `grantAdminConsent: true` and run `pulumi up`, or use the stack's adminConsentUrl output).";

  switch (code) {
    case "50011":
      return new UsageError("redirect_uri_mismatch", `Entra ID rejected the redirect URI ${context.redirectUri ?? "(unknown)"}: it is not registered on the app (AADSTS50011).`, {
        ...opts,
        hint: "Run `pulumi up` so the app registration has the stack's redirectUri, and make sure the stack outputs you pass are current.",
      });
    case "7000215":
      return new UsageError("invalid_client_secret", "Entra ID rejected the app's client secret (AADSTS7000215): it was rotated, has expired, or a new one has not replicated yet.", {
        ...opts,
        hint: "Wait a minute and try again; if it persists, run `pulumi up` so the vault holds the app's current secret, then `npm run status`.",
      });
    case "7000218":
      return new UsageError("client_secret_missing", "Entra ID expected a client secret and got none (AADSTS7000218).", {
        ...opts,
        hint: "Check that the vault's client-secret secret is present and not empty (`npm run status`); run `pulumi up` to restore it.",
      });
    case "700025":
      return new UsageError("public_client_app", "The app registration is marked as a public client, so Entra ID refuses its client secret (AADSTS700025).", {
        ...opts,
        hint: "Turn off 'Allow public client flows' on the app registration (run `pulumi up` to restore the stack's settings).",
      });
    case "700016":
    case "90002":
      return new UsageError("app_or_tenant_not_found", `Entra ID does not know this app or tenant (AADSTS${code}).`, {
        ...opts,
        hint: "Check that the tenant and client ids come from the current stack (`pulumi up`, then pass fresh outputs).",
      });
  }

  if (context.phase === "refresh") {
    if (code && code in REFRESH_TOKEN_DEAD) {
      return new ConsentRequiredError(`${REFRESH_TOKEN_DEAD[code]} (AADSTS${code})`, opts);
    }
    if (e.errorCode === "invalid_grant" || e.errorCode === "interaction_required" || e.errorCode === "consent_required") {
      return new ConsentRequiredError(`Entra ID no longer accepts the stored refresh token: ${shortDescription(description)}`, opts);
    }
  } else {
    switch (code) {
      case "65001":
        return new SignInError("consent_missing", "The app's permissions have not been consented (AADSTS65001).", { ...opts, hint: consent });
      case "65004":
        return new SignInError("consent_declined", "The user declined the app's permissions (AADSTS65004).", {
          ...opts,
          hint: "Run `npm run bootstrap` again and accept the permissions, or ask an admin to grant consent.",
        });
      case "50076":
      case "50078":
        return new SignInError("mfa_required", `Entra ID requires multi-factor authentication for this sign-in (AADSTS${code}).`, {
          ...opts,
          hint: "Run `npm run bootstrap` again and complete the MFA prompt; the user needs MFA registered.",
        });
      case "53003":
        return new SignInError("conditional_access_blocked", "A Conditional Access policy blocked the sign-in (AADSTS53003).", {
          ...opts,
          hint: "Ask your Entra ID admin which policy applies (sign-in logs) and sign in from a compliant device or location.",
        });
      case "700082":
      case "70008":
        return new SignInError("code_expired", `The authorization code expired before it was redeemed (AADSTS${code}).`, {
          ...opts,
          hint: "Run `npm run bootstrap` again and finish the sign-in without long pauses.",
        });
    }
    if (e.errorCode === "access_denied") {
      return new SignInError("sign_in_denied", `The sign-in was denied: ${shortDescription(description)}`, {
        ...opts,
        hint: "Run `npm run bootstrap` again and accept the permissions, or ask an admin to grant consent.",
      });
    }
  }

  const summary = shortDescription(description) || "no description";
  return new ServiceError("entra_error", `Entra ID returned an error: ${summary}`, ExitCode.Failure, {
    ...opts,
    hint: code
      ? `Look up AADSTS${code} in Microsoft's Entra ID error reference; run the command again once it is fixed.`
      : "Check the network and the authority host, then run the command again.",
  });
}
