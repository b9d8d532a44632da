/**
 * Client assertions (RFC 7523 `private_key_jwt`), checked as Entra ID checks
 * them against the app's registered certificates (key credentials of type
 * AsymmetricX509Cert). What Entra requires and answers:
 * - learn.microsoft.com/entra/identity-platform/certificate-credentials: header
 *   `alg` RS256 or PS256 with `x5t` (SHA-1) or `x5t#S256` (SHA-256) thumbprint,
 *   claims `aud` = the token endpoint, `iss` = `sub` = the client id, `exp`, `nbf`, `jti`;
 *   an assertion may be used again until it expires (msal-node reuses it for 10 minutes).
 * - AADSTS700027, key not registered: AzureAD/microsoft-authentication-library-for-js#8339,
 *   keycloak/keycloak#19425 ("The certificate with identifier used to sign the client
 *   assertion is not registered on application. [Reason - The key was not found., …");
 *   key expired: microsoft/azure-tools-for-java#2785 ("Client assertion contains an
 *   invalid signature. [Reason - The key used is expired., …, Found key 'Start=…, End=…'");
 *   wrong signature: microsoftgraph/msgraph-sdk-php#1585 ("[Reason - The provided signature
 *   value did not match the expected signature value., …").
 * - AADSTS700024, outside the time window: AzureAD/microsoft-authentication-library-for-dotnet#4951,
 *   dotnet/docker-tools#1310 ("Client assertion is not within its valid time range. Current
 *   time: …, assertion valid from …, expiry time of assertion …").
 * - AADSTS700023, wrong audience: AzureAD/microsoft-authentication-library-for-dotnet#2746.
 * - AADSTS700021, `iss`/`sub` not the client id: the code's text as Entra's error reference
 *   lists it (no captured answer was found; unverified).
 * Clock skew: Entra's tolerance is not documented; this uses five minutes, the
 * default clock skew of Microsoft's token validation (IdentityModel's
 * `TokenValidationParameters.DefaultClockSkew`).
 */
import { X509Certificate, constants, createHash, verify, type KeyObject } from "node:crypto";
import { decodeJwt } from "../jwt";
import { OAuthError } from "./errors";
import { nowMs, type EntraState, type StoredApp } from "./state";

/** The `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** How far `nbf` and `exp` may be off the stand-in's clock. */
export const ASSERTION_CLOCK_SKEW_SECONDS = 300;

/** A certificate registered on an app (a key credential), as the token endpoint looks it up. */
export interface RegisteredCertificate {
  /** The certificate, PEM. */
  pem: string;
  publicKey: KeyObject;
  /** base64url SHA-256 of the DER certificate: the `x5t#S256` header value. */
  x5tS256: string;
  /** base64url SHA-1 of the DER certificate: the `x5t` header value. */
  x5t: string;
  /** The key credential's start and end (the certificate's validity), ms since the epoch. */
  startMs: number;
  endMs: number;
}

/** Reads a PEM certificate into the shape the token endpoint looks up. */
export function registeredCertificate(pem: string): RegisteredCertificate {
  const certificate = new X509Certificate(pem);
  return {
    pem,
    publicKey: certificate.publicKey,
    x5tS256: createHash("sha256").update(certificate.raw).digest("base64url"),
    x5t: createHash("sha1").update(certificate.raw).digest("base64url"),
    startMs: Date.parse(certificate.validFrom),
    endMs: Date.parse(certificate.validTo),
  };
}

/**
 * Checks the request's client assertion for `app`; throws the OAuthError Entra
 * answers with. `audiences` are the token-endpoint URLs the assertion may name.
 */
export function verifyClientAssertion(s: EntraState, app: StoredApp, form: URLSearchParams, audiences: string[]): void {
  const assertion = form.get("client_assertion") ?? "";
  if (form.get("client_assertion_type") !== JWT_BEARER_ASSERTION_TYPE) {
    throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
  }
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    ({ header, payload } = decodeJwt(assertion));
  } catch {
    throw new OAuthError(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
  }
  const sha256 = typeof header["x5t#S256"] === "string" ? header["x5t#S256"] : undefined;
  const sha1 = typeof header.x5t === "string" ? header.x5t : undefined;
  const named = sha256 ?? sha1 ?? "";
  const thumbprint = Buffer.from(named, "base64url").toString("hex").toUpperCase();
  const lookFor = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${app.applicationObjectId}'`;
  const key = app.certificates.find((c) => (sha256 !== undefined && c.x5tS256 === sha256) || (sha256 === undefined && sha1 !== undefined && c.x5t === sha1));
  if (!key) {
    throw new OAuthError(401, "invalid_client", 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', ${lookFor}].`);
  }
  const found = `Found key 'Start=${keyDate(key.startMs)}, End=${keyDate(key.endMs)}'`;
  const now = nowMs(s);
  if (key.endMs <= now) {
    throw new OAuthError(401, "invalid_client", 700027, `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${thumbprint}', ${found}, ${lookFor}].`);
  }
  if (!signatureVerifies(assertion, String(header.alg), key.publicKey)) {
    throw new OAuthError(401, "invalid_client", 700027, `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprint}', ${found}, ${lookFor}].`);
  }
  if (typeof payload.aud !== "string" || !audiences.some((audience) => audience.toLowerCase() === String(payload.aud).toLowerCase())) {
    throw new OAuthError(401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .");
  }
  if (String(payload.iss).toLowerCase() !== app.clientId || String(payload.sub).toLowerCase() !== app.clientId) {
    throw new OAuthError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .");
  }
  const nbf = typeof payload.nbf === "number" ? payload.nbf * 1000 : 0;
  const exp = typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  const skew = ASSERTION_CLOCK_SKEW_SECONDS * 1000;
  if (now + skew < nbf || now - skew >= exp) {
    throw new OAuthError(401, "invalid_client", 700024, `Client assertion is not within its valid time range. Current time: ${entraTime(now)}, assertion valid from ${entraTime(nbf)}, expiry time of assertion ${entraTime(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
}

function signatureVerifies(jwt: string, alg: string, key: KeyObject): boolean {
  const [h, p, signature] = jwt.split(".");
  const data = Buffer.from(`${h}.${p}`);
  const bytes = Buffer.from(signature ?? "", "base64url");
  if (alg === "RS256") return verify("sha256", data, key, bytes);
  if (alg === "PS256") return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, bytes);
  return false;
}

/** Entra's time format in these messages: ISO 8601 with seven fractional digits. */
function entraTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** The key credential's dates as Entra quotes them: `MM/DD/YYYY HH:mm:ss` (UTC). */
function keyDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
