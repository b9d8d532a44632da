import { ClientAuthError, ConfidentialClientApplication, LogLevel, type INetworkModule, type NetworkResponse } from "@azure/msal-node";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { authorizeRedirectError, explainEntraError, isClientSecretRejection, readEntraError, shortDescription, type EntraErrorContext } from "../../../bootstrap/src/entra/entra-errors";
import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError } from "../../../bootstrap/src/core/errors";
import { CLIENT_ID, TENANT_ID } from "../fixtures";

const TRACE_ID = "0d1c2b3a-1111-4000-8000-00000000beef";
const CORRELATION_ID = "5e6f7a8b-2222-4000-8000-00000000cafe";
const TIMESTAMP = "2026-03-01 10:00:00Z";
const HOST = "https://login.example.test";
const REDIRECT_URI = "http://localhost:8417/";
const ADMIN_CONSENT_URL = `${HOST}/${TENANT_ID}/adminconsent?client_id=${CLIENT_ID}`;
const SIGN_IN: EntraErrorContext = { phase: "sign-in", redirectUri: REDIRECT_URI, adminConsentUrl: ADMIN_CONSENT_URL };
const REFRESH: EntraErrorContext = { phase: "refresh" };
/** The Conditional Access challenge real Entra attaches to 50076 / 50079 / 53003 (shape from recorded answers). */
const CA_CLAIMS = JSON.stringify({ access_token: { capolids: { essential: true, values: ["01234567-89ab-cdef-fedc-ba9876543210"] } } });

/** An `error_description` as Entra ID writes it: the AADSTS code, a sentence, then the trace tail. */
function entraDescription(aadsts: string, sentence: string): string {
  return `AADSTS${aadsts}: ${sentence}\r\nTrace ID: ${TRACE_ID}\r\nCorrelation ID: ${CORRELATION_ID}\r\nTimestamp: ${TIMESTAMP}`;
}

interface EntraErrorBody {
  error: string;
  error_description?: string;
  suberror?: string;
  claims?: string;
}

/**
 * The error msal-node itself throws when Entra ID's token endpoint answers with
 * `body`: a real ConfidentialClientApplication whose network module (injected,
 * so nothing leaves the process) returns Entra's error response. `aadsts` goes
 * into `error_codes` (as Entra sends it); without it the body has none, as a
 * standard OAuth error from a server without AADSTS numbers.
 */
async function msalErrorFor(body: EntraErrorBody, flow: "refresh" | "code", aadsts?: string, status = 400): Promise<unknown> {
  const tokenResponse = {
    ...body,
    ...(aadsts ? { error_codes: [Number(aadsts)], error_uri: `${HOST}/error?code=${aadsts}` } : {}),
    timestamp: TIMESTAMP,
    trace_id: TRACE_ID,
    correlation_id: CORRELATION_ID,
  };
  const networkClient: INetworkModule = {
    sendGetRequestAsync: () => Promise.reject(new Error("no GET request expected: the authority metadata is given")),
    sendPostRequestAsync: <T>() => Promise.resolve({ status, headers: {}, body: tokenResponse } as NetworkResponse<T>),
  };
  return msalAttempt(networkClient, flow);
}

async function msalAttempt(networkClient: INetworkModule, flow: "refresh" | "code"): Promise<unknown> {
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
    aadsts: "7000222",
    body: { error: "invalid_client" },
    sentence: `The provided client secret keys for app '${CLIENT_ID}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    signIn: [UsageError, "client_secret_expired", ExitCode.Usage],
    refresh: [UsageError, "client_secret_expired", ExitCode.Usage],
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
    body: { error: "invalid_grant", suberror: "basic_action", claims: CA_CLAIMS },
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
    aadsts: "50079",
    body: { error: "invalid_grant", suberror: "basic_action", claims: CA_CLAIMS },
    sentence: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.",
    signIn: [SignInError, "mfa_required", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "53003",
    body: { error: "invalid_grant", suberror: "message_only", claims: CA_CLAIMS },
    sentence: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
    signIn: [SignInError, "conditional_access_blocked", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
  {
    aadsts: "70043",
    body: { error: "invalid_grant", suberror: "token_expired" },
    sentence: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on 2026-02-28T05:15:31Z and the maximum allowed lifetime for this request is 36000.",
    signIn: [SignInError, "code_rejected", ExitCode.ActionNeeded],
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
    signIn: [SignInError, "code_rejected", ExitCode.ActionNeeded],
    refresh: consentRequired,
  },
];

describe("explainEntraError with the errors msal-node throws", () => {
  describe.each(MAPPED.map((c) => [c.aadsts, c] as const))("AADSTS%s", (aadsts, { body, sentence, signIn, refresh }) => {
    const entraBody = { ...body, error_description: entraDescription(aadsts, sentence) };

    it(`maps a failed code redemption to ${signIn[1]} with exit code ${signIn[2]}`, async () => {
      const explained = explainEntraError(await msalErrorFor(entraBody, "code", aadsts), SIGN_IN);
      expectExplained(explained, ...signIn);
      expect(explained.aadsts).toBe(aadsts);
      expect(explained.message).toContain(`AADSTS${aadsts}`);
    });

    it(`maps a failed refresh to ${refresh[1]} with exit code ${refresh[2]}`, async () => {
      const explained = explainEntraError(await msalErrorFor(entraBody, "refresh", aadsts), REFRESH);
      expectExplained(explained, ...refresh);
      expect(explained.aadsts).toBe(aadsts);
      expect(explained.message).toContain(`AADSTS${aadsts}`);
    });
  });

  it("names the redirect URI that was sent when Entra ID says it is not registered", async () => {
    const error = await msalErrorFor({ error: "invalid_request", error_description: entraDescription("50011", "Redirect URI mismatch.") }, "code", "50011");
    expect(explainEntraError(error, SIGN_IN).message).toContain(REDIRECT_URI);
  });

  it("shows the admin consent URL when consent is missing at sign-in", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("65001", "Consent missing.") }, "code", "65001");
    expect(explainEntraError(error, SIGN_IN).hint).toContain(ADMIN_CONSENT_URL);
    expect(explainEntraError(error, { phase: "sign-in" }).hint).toContain("grantAdminConsent: true");
  });

  it("tells the user to run the bootstrap again when the stored refresh token is dead", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("700082", "Expired.") }, "refresh", "700082");
    const explained = explainEntraError(error, REFRESH);
    expect(explained.hint).toContain("partner-center-sam bootstrap");
    expect(explained.message).toContain("not used for 90 days");
    // The cause names the library's error without carrying it (its message or request may echo a secret).
    expect(explained.cause).toMatchObject({ name: (error as Error).name, code: "invalid_grant" });
  });

  it("names Conditional Access sign-in frequency for AADSTS70043 during refresh", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", suberror: "token_expired", error_description: entraDescription("70043", "Sign-in frequency.") }, "refresh", "70043");
    const explained = explainEntraError(error, REFRESH);
    expect(explained.message).toBe("The stored refresh token is older than the sign-in frequency a Conditional Access policy allows. (AADSTS70043)");
    expect(explained.hint).toContain("partner-center-sam bootstrap");
  });

  it("does not claim a password change for a revoked grant (AADSTS50173)", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("50173", "Revoked.") }, "refresh", "50173");
    const explained = explainEntraError(error, REFRESH);
    expect(explained.message).toContain("revoked");
    expect(explained.message).not.toMatch(/usually because the user changed their password/);
  });

  it("says to run pulumi up when the client secret has expired (AADSTS7000222)", async () => {
    const error = await msalErrorFor({ error: "invalid_client", error_description: entraDescription("7000222", "Expired keys.") }, "refresh", "7000222", 401);
    const explained = explainEntraError(error, REFRESH);
    expect(explained.message).toBe("Entra ID says the app's client secret has expired (AADSTS7000222).");
    expect(explained.hint).toContain("pulumi up");
  });

  it("treats an unmapped invalid_grant during refresh as a consent that must be renewed, keeping its AADSTS code and sentence", async () => {
    const sentence = "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime.";
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("700084", sentence) }, "refresh", "700084");
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ConsentRequiredError, "consent_required", ExitCode.ActionNeeded);
    expect(explained.aadsts).toBe("700084");
    expect(explained.message).toContain(sentence);
  });

  it("maps an invalid_request with an unmapped AADSTS code to a usage error that keeps Entra's sentence and names the code", async () => {
    const sentence = "The request body must contain the following parameter: 'grant_type'.";
    for (const [flow, context] of [
      ["code", SIGN_IN],
      ["refresh", REFRESH],
    ] as const) {
      const error = await msalErrorFor({ error: "invalid_request", error_description: entraDescription("900144", sentence) }, flow, "900144");
      const explained = explainEntraError(error, context);
      expectExplained(explained, UsageError, "invalid_request", ExitCode.Usage);
      expect(explained.aadsts).toBe("900144");
      expect(explained.message).toBe(`Entra ID rejected the request as malformed (invalid_request, AADSTS900144): AADSTS900144: ${sentence}`);
    }
  });

  it("maps an unknown OAuth error with an AADSTS number to a service error (exit 1) whose hint names the number", async () => {
    const error = await msalErrorFor({ error: "invalid_resource", error_description: entraDescription("500011", "The resource principal was not found.") }, "refresh", "500011");
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ServiceError, "entra_error", ExitCode.Failure);
    expect(explained.message).toBe("Entra ID returned an error (invalid_resource, AADSTS500011): AADSTS500011: The resource principal was not found.");
    expect(explained.hint).toContain("AADSTS500011");
  });
});

describe("the AADSTS number comes from structured fields, never from the description", () => {
  it("uses error_codes when the description names another code", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("7000215", "Text that names another code.") }, "refresh", "700082");
    expect(readEntraError(error).aadsts).toBe("700082");
    const explained = explainEntraError(error, REFRESH);
    expect(explained.aadsts).toBe("700082");
    expect(explained.message).toContain("not used for 90 days");
    expect(isClientSecretRejection(error)).toBe(false);
  });

  it("does not map an error by an AADSTS number that appears only in its description", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", error_description: entraDescription("50011", "Only the text has a number.") }, "refresh");
    expect(readEntraError(error).aadsts).toBeUndefined();
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ConsentRequiredError, "consent_required", ExitCode.ActionNeeded);
    expect(explained.aadsts).toBeUndefined();
    expect(explained.message).toContain("AADSTS50011: Only the text has a number.");
  });

  it("reads errorNo given as a string or a number, and error_codes of a parsed response", () => {
    expect(readEntraError({ errorCode: "invalid_grant", errorNo: "70008" }).aadsts).toBe("70008");
    expect(readEntraError({ errorCode: "invalid_grant", errorNo: 70008 }).aadsts).toBe("70008");
    expect(readEntraError({ error: "invalid_grant", error_codes: [50173, 70000], error_description: "AADSTS50173: x" })).toMatchObject({ error: "invalid_grant", aadsts: "50173", description: "AADSTS50173: x" });
    expect(readEntraError({ errorCode: "invalid_grant", errorNo: "AADSTS70008" }).aadsts).toBeUndefined();
    expect(readEntraError({ errorCode: "invalid_grant", errorMessage: "AADSTS70008: expired" }).aadsts).toBeUndefined();
  });

  it("keeps the Conditional Access claims challenge and the suberror that msal-node reports", async () => {
    const error = await msalErrorFor({ error: "invalid_grant", suberror: "message_only", claims: CA_CLAIMS, error_description: entraDescription("53003", "Blocked.") }, "refresh", "53003");
    expect(readEntraError(error)).toMatchObject({ error: "invalid_grant", aadsts: "53003", suberror: "message_only", claims: CA_CLAIMS });
  });
});

describe("standard OAuth errors without an AADSTS number", () => {
  const CASES: [error: string, status: number, type: Expected, hint: RegExp][] = [
    ["invalid_request", 400, [UsageError, "invalid_request", ExitCode.Usage], /pulumi up.*authority host/],
    ["invalid_scope", 400, [UsageError, "invalid_scope", ExitCode.Usage], /scopes output/],
    ["unauthorized_client", 400, [UsageError, "unauthorized_client", ExitCode.Usage], /client id/],
    ["invalid_client", 401, [UsageError, "invalid_client", ExitCode.Usage], /pulumi up/],
    ["temporarily_unavailable", 503, [ServiceError, "entra_unavailable", ExitCode.Failure], /again in a few minutes/],
    ["server_error", 500, [ServiceError, "entra_unavailable", ExitCode.Failure], /again in a few minutes/],
  ];

  describe.each(CASES)("%s", (oauthError, status, expected, hint) => {
    for (const [flow, context] of [
      ["code", SIGN_IN],
      ["refresh", REFRESH],
    ] as const) {
      it(`gets its own message and hint in ${context.phase}, not "check the network"`, async () => {
        const description = `The server says: ${oauthError} happened.`;
        const explained = explainEntraError(await msalErrorFor({ error: oauthError, error_description: description }, flow, undefined, status), context);
        expectExplained(explained, ...expected);
        expect(explained.aadsts).toBeUndefined();
        expect(explained.message).toContain(`(${oauthError}): ${description}`);
        expect(explained.hint).toMatch(hint);
        expect(explained.hint).not.toMatch(/network/i);
      });
    }
  });

  it("says nothing was replaced when Entra ID is temporarily unavailable during refresh", async () => {
    const explained = explainEntraError(await msalErrorFor({ error: "temporarily_unavailable", error_description: "Busy." }, "refresh", undefined, 503), REFRESH);
    expect(explained.hint).toContain("the stored refresh token was not replaced");
  });

  it("re-reads the vault only for a rejected or expired client secret", async () => {
    expect(isClientSecretRejection(await msalErrorFor({ error: "invalid_client", error_description: "no number" }, "refresh", undefined, 401))).toBe(true);
    expect(isClientSecretRejection(await msalErrorFor({ error: "invalid_client", error_description: entraDescription("7000215", "Invalid.") }, "refresh", "7000215", 401))).toBe(true);
    expect(isClientSecretRejection(await msalErrorFor({ error: "invalid_client", error_description: entraDescription("7000222", "Expired.") }, "refresh", "7000222", 401))).toBe(true);
    expect(isClientSecretRejection(await msalErrorFor({ error: "invalid_client", error_description: entraDescription("700025", "Public.") }, "refresh", "700025", 401))).toBe(false);
    expect(isClientSecretRejection(await msalErrorFor({ error: "invalid_grant", error_description: "AADSTS7000215: only in the text" }, "refresh"))).toBe(false);
  });
});

describe("explainEntraError with other error shapes", () => {
  it("maps an access_denied redirect without an AADSTS code to a denied sign-in (exit 3)", () => {
    const error = Object.assign(new Error("The user cancelled the sign-in."), { errorCode: "access_denied", errorMessage: "The user cancelled the sign-in." });
    const explained = explainEntraError(error, SIGN_IN);
    expectExplained(explained, SignInError, "sign_in_denied", ExitCode.ActionNeeded);
    expect(explained.message).toContain("The user cancelled the sign-in.");
    expect(explained.aadsts).toBeUndefined();
  });

  it("maps an access_denied redirect with error_subcode=cancel to a declined consent, keeping the description for display", () => {
    const description = entraDescription("65004", "User declined to consent to access the app.");
    const error = Object.assign(new Error(description), { errorCode: "access_denied", errorMessage: description, errorSubcode: "cancel" });
    const explained = explainEntraError(error, SIGN_IN);
    expectExplained(explained, SignInError, "consent_declined", ExitCode.ActionNeeded);
    expect(explained.message).toContain("AADSTS65004: User declined to consent to access the app.");
  });

  it("reads an authorize redirect's AADSTS number only from the start of its description, where Entra puts it", () => {
    const redirect = (params: Record<string, string>) => authorizeRedirectError(new URLSearchParams({ state: "s", ...params }));
    const blocked = redirect({ error: "access_denied", error_description: "AADSTS53003: Access has been blocked by Conditional Access policies." });
    expect(readEntraError(blocked)).toMatchObject({ error: "access_denied", aadsts: "53003" });
    const explained = explainEntraError(blocked, SIGN_IN);
    expectExplained(explained, SignInError, "conditional_access_blocked", ExitCode.ActionNeeded);
    expect(explained.aadsts).toBe("53003");
    expect(readEntraError(redirect({ error: "access_denied", error_description: "Blocked, see AADSTS53003: later in the text." })).aadsts).toBeUndefined();
    const declined = redirect({ error: "access_denied", error_subcode: "cancel", error_description: "AADSTS65004: User declined to consent to access the app." });
    expect(readEntraError(declined)).toMatchObject({ aadsts: "65004", suberror: "cancel" });
    expect(explainEntraError(declined, SIGN_IN).code).toBe("consent_declined");
    expect(explainEntraError(redirect({ error: "access_denied" }), SIGN_IN).message).toBe("The sign-in was denied: access_denied");
  });

  it("maps consent_required and interaction_required redirects by their OAuth error", () => {
    const consent = explainEntraError({ errorCode: "consent_required", errorMessage: "AADSTS65001: consent needed" }, SIGN_IN);
    expectExplained(consent, SignInError, "consent_missing", ExitCode.ActionNeeded);
    expect(consent.hint).toContain(ADMIN_CONSENT_URL);
    expectExplained(explainEntraError({ errorCode: "interaction_required", errorMessage: "more" }, SIGN_IN), SignInError, "sign_in_incomplete", ExitCode.ActionNeeded);
  });

  it("maps a network failure inside msal-node to entra_unreachable with a network hint", async () => {
    const networkClient: INetworkModule = {
      sendGetRequestAsync: () => Promise.reject(new Error("no GET request expected")),
      sendPostRequestAsync: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:443")),
    };
    const error = await msalAttempt(networkClient, "refresh");
    expect(error).toBeInstanceOf(ClientAuthError);
    const explained = explainEntraError(error, REFRESH);
    expectExplained(explained, ServiceError, "entra_unreachable", ExitCode.Failure);
    expect(explained.hint).toMatch(/network/);
  });

  it("maps an error without any OAuth code to a service error whose hint points at the network", () => {
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

describe("shortDescription", () => {
  it("drops Entra's Trace ID, Correlation ID and Timestamp tail", () => {
    expect(shortDescription(`AADSTS70008: The code expired. Trace ID: ${TRACE_ID} Correlation ID: ${CORRELATION_ID} Timestamp: ${TIMESTAMP}`)).toBe("AADSTS70008: The code expired.");
  });

  it("keeps only the first line", () => {
    expect(shortDescription(entraDescription("50076", "MFA required."))).toBe("AADSTS50076: MFA required.");
  });

  it("takes the description out of msal-node's 'Error(s): … - Description: …' wrapper", () => {
    const wrapped =
      `Error(s): 70008 - Timestamp: ${TIMESTAMP} - Description: ${entraDescription("70008", "The code expired.")}` +
      ` - Correlation ID: ${CORRELATION_ID} - Trace ID: ${TRACE_ID}`;
    expect(shortDescription(wrapped)).toBe("AADSTS70008: The code expired.");
  });

  it("removes terminal escape sequences and control characters", () => {
    expect(shortDescription("AADSTS1: \u001b[31mred\u001b[0m \u001b]0;title\u0007bell\u0008 done")).toBe("AADSTS1: red bell done");
  });

  it("returns an empty string for no text", () => {
    expect(shortDescription(undefined)).toBe("");
    expect(shortDescription("")).toBe("");
  });
});

describe("what Entra ID echoes back never reaches an error", () => {
  const refreshToken = "1.AXoAsecretRefreshTokenValue0123456789abcdefghijklmnop";
  const clientSecret = "Client~Secret0123456789abcdefghijklmn";

  it("removes the refresh token and client secret the request sent from the message, the hint and the kept cause", async () => {
    // A description that quotes the request back (as some AADSTS90014/9002313 answers quote parameters).
    const description = entraDescription("9002313", `Invalid request. Request is malformed: refresh token ${refreshToken.slice(0, 40)}x client_secret ${clientSecret}.`);
    const error = await msalErrorFor({ error: "invalid_request", error_description: description }, "refresh", "9002313");

    const explained = explainEntraError(error, { ...REFRESH, secrets: [refreshToken.slice(0, 40) + "x", clientSecret] });
    const everything = `${explained.message}\n${explained.hint}\n${JSON.stringify(explained)}\n${inspect(explained, { depth: 10 })}`;

    expect(explained.message).toContain("Invalid request. Request is malformed");
    expect(everything).not.toContain(clientSecret);
    expect(everything).not.toContain(refreshToken.slice(0, 40));
    expect(everything).toContain("[redacted]");
  });

  it("redacts token-shaped text Entra echoes even when the caller named no secret", async () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const description = entraDescription("50000", `Echo: refresh_token=${refreshToken}&assertion=${jwt} and ${refreshToken}`);
    const error = await msalErrorFor({ error: "server_error", error_description: description }, "refresh", "50000", 500);

    const explained = explainEntraError(error, REFRESH);
    const everything = `${explained.message}\n${inspect(explained, { depth: 10 })}`;

    expect(everything).not.toContain(refreshToken);
    expect(everything).not.toContain(jwt);
  });
});
