/**
 * Request routing: the managed-identity path, tenant resolution of the
 * authority path, OpenID discovery and keys, and dispatch to the endpoints.
 */
import type http from "node:http";
import { requestUrl, sendHtml, sendJson } from "../http";
import { errorPage, handleAuthorize, handleConsent, handleLogin, handleMfa, page } from "./authorize-pages";
import { resolveTenant } from "./directory";
import { OAuthError, sendOAuthError } from "./errors";
import { handleManagedIdentity } from "./managed-identity";
import type { EntraState } from "./state";
import { handleToken } from "./token-endpoint";

export async function handle(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = requestUrl(req);
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts[0] === "msi" && parts[1] === "token" && parts.length === 2) return handleManagedIdentity(s, req, res, url);
  const [tenant, ...rest] = parts;
  const route = rest.join("/");
  const method = req.method ?? "GET";
  const resolvedTenant = tenant ? resolveTenant(s, tenant) : undefined;
  if (tenant && !resolvedTenant) {
    const err = new OAuthError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    if (route === "oauth2/v2.0/authorize") return errorPage(res, err.message);
    return sendOAuthError(s, req, res, err);
  }
  const tenantId = resolvedTenant ?? "";
  if (method === "GET" && (route === "v2.0/.well-known/openid-configuration" || route === ".well-known/openid-configuration")) {
    return sendJson(res, 200, openIdConfiguration(s, tenantId));
  }
  if (method === "GET" && (route === "discovery/keys" || route === "discovery/v2.0/keys")) {
    return sendJson(res, 200, { keys: [{ ...s.key.jwk, issuer: `${s.settings.url}/${tenantId}/v2.0` }] });
  }
  if (method === "GET" && route === "oauth2/v2.0/authorize") return handleAuthorize(s, res, tenantId, url.searchParams, tenant ?? tenantId);
  if (method === "POST" && route === "login") return handleLogin(s, req, res, tenantId);
  if (method === "POST" && route === "mfa") return handleMfa(s, req, res, tenantId);
  if (method === "POST" && route === "consent") return handleConsent(s, req, res, tenantId);
  if (route === "oauth2/v2.0/token") {
    if (method !== "POST") return sendOAuthError(s, req, res, new OAuthError(400, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request."));
    return handleToken(s, req, res, tenantId, tenant ?? "");
  }
  if (method === "GET" && route === "oauth2/v2.0/logout") return sendHtml(res, 200, page("Signed out", "<p>You have signed out of your account.</p>"));
  return sendJson(res, 404, { error: "not_found" });
}

export function openIdConfiguration(s: EntraState, tenantId: string): Record<string, unknown> {
  const base = `${s.settings.url}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${s.settings.url}/oidc/userinfo`,
    authorization_endpoint: `${s.settings.signInPagesUrl}/${tenantId}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "EU",
    cloud_instance_name: "localhost",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}
