/**
 * What MSAL would otherwise fetch from Entra ID before the first token request of
 * every process: the authority's OpenID metadata (`<host>/<tenant>/v2.0/.well-known/openid-configuration`)
 * and the cloud's instance-discovery answer. Supplied up front through msal-node's
 * `auth.authorityMetadata` and `auth.cloudDiscoveryMetadata`, a redemption of the
 * stored refresh token is one request to the token endpoint and nothing else.
 *
 * Both are derived from the authority host, so they are right for any Entra ID
 * host (the public cloud, a sovereign cloud, the emulator): Entra ID serves every
 * tenant's endpoints under `<host>/<tenant>/…` — the OpenID configuration of
 * https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration
 * names `token_endpoint` https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token,
 * `issuer` https://login.microsoftonline.com/{tenantid}/v2.0 and so on
 * (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri).
 * MSAL puts the request's tenant in place of `{tenant}`/`{tenantid}`, as it does with
 * its own built-in values for the public cloud (msal-common authority/AuthorityMetadata).
 */
import { trimTrailingSlash } from "../core/validate";

/** The public cloud's host, whose instance-discovery answer names its aliases. */
const PUBLIC_CLOUD_HOST = "login.microsoftonline.com";

/**
 * The public cloud's instance-discovery metadata, as Entra ID answers
 * https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize
 * (and as msal-common carries it built in): one cloud, known by four host names.
 */
const PUBLIC_CLOUD_ALIASES = ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"];

/** The two msal-node `auth` settings for `authorityHost`, as the JSON strings msal-node expects. */
export interface AuthorityMetadataSettings {
  authorityMetadata: string;
  cloudDiscoveryMetadata: string;
}

/** The OpenID metadata and cloud discovery for `authorityHost` (see the file's comment). */
export function authorityMetadataFor(authorityHost: string): AuthorityMetadataSettings {
  const origin = trimTrailingSlash(authorityHost);
  const host = new URL(origin).host;
  const tenantBase = `${origin}/{tenant}`;
  const openId = {
    token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
    jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
    issuer: `${origin}/{tenantid}/v2.0`,
    authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
  };
  const isPublic = host.toLowerCase() === PUBLIC_CLOUD_HOST;
  const discovery = {
    tenant_discovery_endpoint: `${tenantBase}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [
      isPublic
        ? { preferred_network: PUBLIC_CLOUD_HOST, preferred_cache: "login.windows.net", aliases: PUBLIC_CLOUD_ALIASES }
        : { preferred_network: host, preferred_cache: host, aliases: [host] },
    ],
  };
  return { authorityMetadata: JSON.stringify(openId), cloudDiscoveryMetadata: JSON.stringify(discovery) };
}
