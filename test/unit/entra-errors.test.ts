import { ConfidentialClientApplication, LogLevel, type INetworkModule, type NetworkResponse } from "@azure/msal-node";
import { describe, expect, it } from "vitest";
import { aadstsCode, explainEntraError, shortDescription, type EntraErrorContext } from "../../bootstrap/src/entra-errors";
import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError } from "../../bootstrap/src/errors";
import { CLIENT_ID, TENANT_ID } from "./fixtures";

const TRACE_ID = "0d1c2b3a-1111-4000-8000-00000000beef";
const CORRELATION_ID = "5e6f7a8b-2222-4000-8000-00000000cafe";
const TIMESTAMP = "2026-03-01 10:00:00Z";
const HOST = "https://login.example.test";
const REDIRECT_URI = "http://localhost:8417/";
const ADMIN_CONSENT_URL = `${HOST}/${TENANT_ID}/adminconsent?client_id=${CLIENT_ID}`;
const SIGN_IN: EntraErrorContext = { phase: "sign-in", redirectUri: REDIRECT_URI, adminConsentUrl: ADMIN_CONSENT_URL };
const REFRESH: EntraErrorContext = { phase: "refresh" };

/** An `error_description` as Entra ID writes it: the AADSTS code, a sentence, then the trace tail. */
function entraDescription(aadsts: string, sentence: string): string {
  return `AADSTS${aadsts}: ${sentence} Trace ID: ${TRACE_ID} Correlation ID: ${CORRELATION_ID} Timestamp: ${TIMESTAMP}`;
}

interface EntraErrorBody {
  error: string;
  error_description: string;
  suberror?: string;
}

/**
 * The error msal-node itself throws when Entra ID's token endpoint answers with
 * `body`: a real ConfidentialClientApplication whose network module (injected,
 * so nothing leaves the process) returns Entra's 400 response.
 */
async function msalErrorFor(body: EntraErrorBody, flow: "refresh" | "code"): Promise<unknown> {
  const tokenResponse = {
    ...body,
    error_codes: [Number(aadstsCode(body.error_description) ?? 0)],
    timestamp: TIMESTAMP,
    trace_id: TRACE_ID,
    correlation_id: CORRELATION_ID,
  };
  const networkClient: INetworkModule = {
    sendGetRequestAsync: () => Promise.reject(new Error("no GET request expected: the authority metadata is given")),
    sendPostRequestAsync: <T>() => Promise.resolve({ status: 400, headers: {}, body: tokenResponse } as NetworkResponse<T>),
  };
  const tenantUrl = `${HOST}/${TENANT_ID}`;
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: CLIENT_ID,
      clientSecret: "unit-test-client-secret",
      authority: tenantUrl,
      knownAuthorities: [new URL(HOST).host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${tenantUrl}/oauth2/v2.0/token`,
        authorization_endpoint: `${tenantUrl}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${tenantUrl}/oauth2/v2.0/logout`,
        issuer: `${tenantUrl}/v2.0`,
        jwks_uri: `${tenantUrl}/discovery/v2.0/keys`,
      }),
    },
    system: { networkClient, loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => undefined } },
  });
  const scopes = ["https://api.partnercenter.microsoft.com/user_impersonation"];
  const attempt =
    flow === "refresh"
      ? app.acquireTokenByRefreshToken({ refreshToken: "unit-test-refresh-token", scopes, forceCache: true })
      : app.acquireTokenByCode({ code: "unit-test-code", scopes, redirectUri: REDIRECT_URI, codeVerifier: "v".repeat(43) });
  return attempt.then(
    () => {
      throw new Error("msal-node accepted an error response");
    },
    (error: unknown) => error,
  );
}

/** Asserts what every explained error must do: a known type, code and exit code, and no trace tail. */
function expectExplained(error: SamError, type: new (...args: never[]) => SamError, code: string, exitCode: number): void {
  expect(error).toBeInstanceOf(type);
  expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code, exitCode });
  for (const text of [error.message, error.hint ?? ""]) {
    expect(text).not.toMatch(/Trace ID|Correlation ID|Timestamp/i);
    expect(text).not.toContain(TRACE_ID);
    expect(text).not.toContain(CORRELATION_ID);
  }
}

type Expected = [type: new (...args: never[]) => SamError, code: string, exitCode: number];

interface MappedCase {
  aadsts: string;
  body: Omit<EntraErrorBody, "error_description">;
  sentence: string;
  signIn: Expected;
  refresh: Expected;
}

const consentRequired: Expected = [ConsentRequiredError, "consent_required", ExitCode.ActionNeeded];
const MAPPED: MappedCase[] = [
  {
    aadsts: "50011",
    body: { error: "invalid_request" },
    sentence: `The redirect URI '${REDIRECT_URI}' specified in the request does not match the redirect URIs configured for the application.`,
    signIn: [UsageError, "redirect_uri_mismatch", ExitCode.Usage],
    refresh: [UsageError, "redirect_uri_mismatch", ExitCode.Usage],
  },
  {
    aadsts: "7000215",
    body: { error: "invalid_client" },
    sentence: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.",
    signIn: [UsageError, "invalid_client_secret", ExitCode.Usage],
    refresh: [UsageError, "invalid_client_secret", ExitCode.Usage],
  },
  {
    aadsts: "7000218",
    body: { error: "invalid_client" },
    sentence: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    signIn: [UsageError, "client_secret_missing", ExitCode.Usage],
    refresh: [UsageError, "client_secret_missing", ExitCode.Usage],
  },
  {
    aadsts: "700025",
    body: { error: "invalid_client" },
    sentence: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    signIn: [UsageError, "public_client_app", ExitCode.Usage],
    refresh: [UsageError, "public_client_app", ExitCode.Usage],
  },
  {
    aadsts: "700016",
    body: { error: "unauthorized_client" },
    sentence: `Application with identifier '${CLIENT_ID}' was not found in the directory.`,
    signIn: [UsageError, "app_or_tenant_not_found", ExitCode.Usage],
    refresh: [UsageError, "app_or_tenant_not_found", ExitCode.Usage],
  },
  {
    aadsts: "65001",
    body: { error: "invalid_grant", suberror: "consent_required" },
    sentence: `The user or administrator has not consented to use the application with ID '${CLIENT_ID}'.`,
    signIn: [SignInError, "consent_missing", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "65004",
    body: { error: "invalid_grant" },
    sentence: "User declined to consent to access the app.",
    signIn: [SignInError, "consent_declined", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "50076",
    body: { error: "invalid_grant", suberror: "basic_action" },
    sentence: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
    signIn: [SignInError, "mfa_required", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "50078",
    body: { error: "invalid_grant" },
    sentence: "Presented multi-factor authentication has expired due to policies configured by your administrator.",
    signIn: [SignInError, "mfa_required", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "53003",
    body: { error: "invalid_grant" },
    sentence: "Access has been blocked by Conditional Access policies.",
    signIn: [SignInError, "conditional_access_blocked", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "700082",
    body: { error: "invalid_grant" },
    sentence: "The refresh token has expired due to inactivity. The token was issued on 2025-11-01 and was inactive for 90.00:00:00.",
    signIn: [SignInError, "code_expired", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "70008",
    body: { error: "invalid_grant" },
    sentence: "The provided authorization code or refresh token has expired due to inactivity.",
    signIn: [SignInError, "code_expired", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "50173",
    body: { error: "invalid_grant" },
    sentence: "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
    signIn: [ServiceError, "entra_error", ExitCode.Failure],
    refresh: consentRequired,
  },
];

describe("explainEntraError with the errors msal-node throws", () => {
  describe.each(MAPPED.map((c) => [c.aadsts, c] as const))("AADSTS%s", (aadsts, { body, sentence, signIn, refresh }) => {
    const entraBody = { ...body, error_description: entraDescription(aadsts, sentence) };

    it(`maps a failed code redemption to ${signIn[1]} with exit code ${signIn[2]}`, async () => {
      const explained = explainEntraError(await msalErrorFor(entraBody, "code"), SIGN_IN);
      expectExplained(explained, ...signIn);
      expect(explained.aadsts).toBe(aadsts);
      expect(explained.message).toContain(`AADSTS${aadsts}`);
    });

    it(`maps a failed refresh to ${refresh[1]} with exit code ${refresh[2]}`, async () => {
      const explained = explainEntraError(await msalErrorFor(entraBody, "refresh"), REFRESH);
      expectExplained(explained, ...refresh);
      expect(explained.aadsts).toBe(aadsts);
      expect(explained.message).toContain(`AADSTS${aadsts}`);
    });
  });

  it("names the redirect URI that was sent when Entra ID says it is not registered", async () => {
    const error = await msalErrorFor({ error: "invalid_request", error_description: entraDescription("50011", "Redirect URI mismatch.") }, "code");
    expect(explainEntraError(error, SIGN_IN).message).toContain(REDIRECT_URI);
  });

  it("shows the admin consent URL when consent is missing at sign-in", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("65001", "Consent missing.") }, "code");
    expect(explainEntraError(error, SIGN_IN).hint).toContain(ADMIN_CONSENT_URL);
    expect(explainEntraError(error, { phase: "sign-in" }).hint).toContain("grantAdminConsent: true");
  });

  it("tells the user to run the bootstrap again when the stored refresh token is dead", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("700082", "Expired.") }, "refresh");
    const explained = explainEntraError(error, REFRESH);
    expect(explained.hint).toContain("npm run bootstrap");
    expect(explained.message).toContain("not used for 90 days");
    expect(explained.cause).toBe(error);
  });

  it("treats an unmapped invalid_grant during refresh as a consent that must be renewed, keeping its AADSTS code and sentence", async () => {
    const sentence = "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime.";
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("700084", sentence) }, "refresh");
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ConsentRequiredError, "consent_required", ExitCode.ActionNeeded);
    expect(explained.aadsts).toBe("700084");
    expect(explained.message).toContain(sentence);
  });

  it("maps an unknown AADSTS code to a service error (exit 1) that keeps Entra's sentence and names the code in the hint", async () => {
    const sentence = "The request body must contain the following parameter: 'grant_type'.";
    for (const [flow, context] of [
      ["code", SIGN_IN],
      ["refresh", REFRESH],
    ] as const) {
      const error = await msalErrorFor({ error: "invalid_request", error_description: entraDescription("900144", sentence) }, flow);
      const explained = explainEntraError(error, context);
      expectExplained(explained, ServiceError, "entra_error", ExitCode.Failure);
      expect(explained.aadsts).toBe("900144");
      expect(explained.message).toBe(`Entra ID returned an error: AADSTS900144: ${sentence}`);
      expect(explained.hint).toContain("AADSTS900144");
    }
  });
});

describe("explainEntraError with other error shapes", () => {
  it("reads an msal-shaped object whose errorMessage carries the AADSTS code and the trace tail", () => {
    const error = {
      errorCode: "invalid_grant",
      errorMessage: entraDescription("70008", "The provided authorization code or refresh token has expired due to inactivity."),
    };
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ConsentRequiredError, "consent_required", ExitCode.ActionNeeded);
    expect(explained.aadsts).toBe("70008");
  });

  it("keeps Entra's first sentence for an unmapped invalid_grant object during refresh", () => {
    const error = { errorCode: "invalid_grant", errorMessage: entraDescription("9002313", "Invalid request. Request is malformed or invalid.") };
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ConsentRequiredError, "consent_required", ExitCode.ActionNeeded);
    expect(explained.message).toBe("Entra ID no longer accepts the stored refresh token: AADSTS9002313: Invalid request. Request is malformed or invalid.");
    expect(explained.aadsts).toBe("9002313");
  });

  it("maps an access_denied redirect without an AADSTS code to a denied sign-in (exit 3)", () => {
    const error = Object.assign(new Error("The user cancelled the sign-in."), { errorCode: "access_denied", errorMessage: "The user cancelled the sign-in." });
    const explained = explainEntraError(error, SIGN_IN);
    expectExplained(explained, SignInError, "sign_in_denied", ExitCode.ActionNeeded);
    expect(explained.message).toContain("The user cancelled the sign-in.");
    expect(explained.aadsts).toBeUndefined();
  });

  it("maps an access_denied redirect carrying AADSTS65004 to a declined consent", () => {
    const description = entraDescription("65004", "User declined to consent to access the app.");
    const error = Object.assign(new Error(description), { errorCode: "access_denied", errorMessage: description });
    expectExplained(explainEntraError(error, SIGN_IN), SignInError, "consent_declined", ExitCode.ActionNeeded);
  });

  it("maps an error without any AADSTS code to a service error whose hint points at the network", () => {
    const explained = explainEntraError(new Error("getaddrinfo ENOTFOUND login.example.test"), REFRESH);
    expectExplained(explained, ServiceError, "entra_error", ExitCode.Failure);
    expect(explained.aadsts).toBeUndefined();
    expect(explained.message).toBe("Entra ID returned an error: getaddrinfo ENOTFOUND login.example.test");
    expect(explained.hint).toContain("network");
  });

  it("returns an error that is already explained unchanged", () => {
    const original = new SignInError("sign_in_timeout", "The sign-in did not finish within 5 seconds.");
    expect(explainEntraError(original, SIGN_IN)).toBe(original);
  });
});

describe("aadstsCode", () => {
  it("extracts the number after AADSTS", () => {
    expect(aadstsCode(entraDescription("70008", "Expired."))).toBe("70008");
    expect(aadstsCode("Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided.")).toBe("7000215");
  });

  it("returns undefined when there is no AADSTS code", () => {
    expect(aadstsCode("invalid_grant")).toBeUndefined();
    expect(aadstsCode(undefined)).toBeUndefined();
  });
});

describe("shortDescription", () => {
  it("drops Entra's Trace ID, Correlation ID and Timestamp tail", () => {
    expect(shortDescription(entraDescription("70008", "The code expired."))).toBe("AADSTS70008: The code expired.");
  });

  it("keeps only the first line", () => {
    expect(shortDescription(`AADSTS50076: MFA required.\r\nTrace ID: ${TRACE_ID}\r\nCorrelation ID: ${CORRELATION_ID}`)).toBe("AADSTS50076: MFA required.");
  });

  it("takes the description out of msal-node's 'Error(s): … - Description: …' wrapper", () => {
    const wrapped =
      `Error(s): 70008 - Timestamp: ${TIMESTAMP} - Description: ${entraDescription("70008", "The code expired.")}` +
      ` - Correlation ID: ${CORRELATION_ID} - Trace ID: ${TRACE_ID}`;
    expect(shortDescription(wrapped)).toBe("AADSTS70008: The code expired.");
  });

  it("returns an empty string for no text", () => {
    expect(shortDescription(undefined)).toBe("");
    expect(shortDescription("")).toBe("");
  });
});
