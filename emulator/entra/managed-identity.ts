/**
 * The App Service-style managed-identity endpoint, its environment for
 * DefaultAzureCredential, and a test-side credential minting the same tokens.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { sendJson } from "../http";
import { findResource } from "./directory";
import { unknownResource } from "./errors";
import { MSI_API_VERSION, safeEqual, type EntraState } from "./state";
import { appToken } from "./tokens";
import type { EmulatorCredentialOptions } from "./types";

export function handleManagedIdentity(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const q = url.searchParams;
  const resourceParam = q.get("resource") ?? "";
  const fail = (status: number, message: string): void => {
    s.settings.managedIdentityRequests.push({ resource: resourceParam, status });
    sendJson(res, status, { statusCode: status, message, correlationId: randomUUID() });
  };
  if (req.method !== "GET") return fail(405, "The requested method is not supported.");
  const header = req.headers["x-identity-header"];
  if (typeof header !== "string" || !safeEqual(header, s.identityHeader)) {
    return fail(401, "Unauthorized: the X-IDENTITY-HEADER header is missing or not valid.");
  }
  if (q.get("api-version") !== MSI_API_VERSION) return fail(400, `The api-version '${q.get("api-version") ?? ""}' is not supported; use ${MSI_API_VERSION}.`);
  if (!resourceParam) return fail(400, "The 'resource' query parameter is required.");
  for (const id of ["client_id", "principal_id", "object_id", "mi_res_id"]) {
    const value = q.get(id);
    if (value && value !== s.settings.managedIdentityClientId && value !== s.settings.managedIdentityObjectId) {
      return fail(400, "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.");
    }
  }
  const tenantId = requireManagedIdentityTenant(s);
  const resource = findResource(s, resourceParam);
  if (!resource) return fail(400, unknownResource(tenantId, resourceParam).message);
  const { token, exp } = appToken(s, tenantId, resource.id, s.settings.managedIdentityObjectId, s.settings.managedIdentityClientId);
  s.settings.managedIdentityRequests.push({ resource: resourceParam, status: 200 });
  sendJson(res, 200, {
    access_token: token,
    expires_on: String(exp),
    resource: resourceParam,
    token_type: "Bearer",
    client_id: s.settings.managedIdentityClientId,
  });
}

export function requireManagedIdentityTenant(s: EntraState): string {
  if (!s.managedIdentityTenant) throw new Error("EntraEmulator: add a tenant before using the managed identity");
  return s.managedIdentityTenant;
}

/**
 * Environment for `DefaultAzureCredential` to use this stand-in's
 * managed-identity endpoint (App Service style), in-process or in a child.
 */
export function managedIdentityEnv(s: EntraState): Record<string, string> {
  return {
    AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
    IDENTITY_ENDPOINT: `${s.settings.url}/msi/token`,
    IDENTITY_HEADER: s.identityHeader,
  };
}

/** A test-side credential minting managed-identity (or `objectId`) tokens directly, without network. */
export function credential(s: EntraState, options: EmulatorCredentialOptions = {}): TokenCredential {
  return {
    getToken: async (scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken> => {
      const list = Array.isArray(scopes) ? scopes : [scopes];
      if (list.length !== 1) throw new Error("stand-in credential: exactly one scope is supported");
      const resource = findResource(s, list[0].replace(/\/\.default$/, ""));
      if (!resource) throw new Error(`stand-in credential: unknown resource for scope ${list[0]}`);
      const tenantId = (options.tenantId ?? getTokenOptions?.tenantId ?? requireManagedIdentityTenant(s)).toLowerCase();
      const { token, exp } = appToken(s, tenantId, resource.id, options.objectId ?? s.settings.managedIdentityObjectId, s.settings.managedIdentityClientId);
      return { token, expiresOnTimestamp: exp * 1000, tokenType: "Bearer" };
    },
  };
}
