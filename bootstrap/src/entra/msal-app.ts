import type { ConfidentialClientApplication } from "@azure/msal-node";
import { msalNode } from "./msal-sdk";
import { TimeoutNetworkClient, type TimeoutNetworkClientOptions } from "./msal-network";
import { trimTrailingSlash } from "../core/validate";
import type { AppCredentials } from "../vault/vault-store";
import type { AuthorityMetadataSettings } from "./authority-metadata";

/**
 * Builds the MSAL confidential client for the Partner Center app. With a
 * certificate, every token request authenticates with a client assertion
 * (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`)
 * that msal-node signs with the certificate's key (PS256, `x5t#S256` header) and
 * reuses until it expires; no client secret is sent. Otherwise with the client secret. The authority
 * host is listed in `knownAuthorities`, so MSAL trusts it without asking the
 * public cloud's instance-discovery endpoint (needed for sovereign and private hosts).
 * MSAL's own logging stays off: its messages can carry request details.
 * Every request to Entra ID has a timeout (and ends by `network.deadline`).
 */
export function createMsalApp(
  credentials: AppCredentials,
  authorityHost: string,
  network: TimeoutNetworkClientOptions = {},
  /** The authority's metadata, so MSAL asks Entra ID for nothing but tokens (see authority-metadata.ts). */
  metadata?: AuthorityMetadataSettings,
): ConfidentialClientApplication {
  const host = trimTrailingSlash(authorityHost);
  const { ConfidentialClientApplication, LogLevel } = msalNode();
  return new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      ...(credentials.clientCertificate
        ? { clientCertificate: { thumbprintSha256: credentials.clientCertificate.thumbprintSha256, privateKey: credentials.clientCertificate.privateKey } }
        : { clientSecret: credentials.clientSecret }),
      authority: tenantAuthority(host, credentials.tenantId),
      knownAuthorities: [new URL(host).host],
      ...metadata,
    },
    system: {
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
      networkClient: new TimeoutNetworkClient(network),
    },
  });
}

/** The authority of one tenant (id or verified domain): `<authorityHost>/<tenant>`. */
export function tenantAuthority(authorityHost: string, tenant: string): string {
  return `${trimTrailingSlash(authorityHost)}/${tenant}`;
}

interface SerializedRefreshToken {
  home_account_id?: string;
  client_id?: string;
  secret?: string;
}

/**
 * MSAL does not hand out refresh tokens; it keeps them in its token cache.
 * This returns the one for the given account (and client) from the serialized cache.
 */
export function refreshTokenFromCache(app: ConfidentialClientApplication, homeAccountId: string, clientId: string): string | undefined {
  const cache = JSON.parse(app.getTokenCache().serialize()) as { RefreshToken?: Record<string, SerializedRefreshToken> };
  const entries = Object.values(cache.RefreshToken ?? {});
  const match = entries.find((entry) => entry.home_account_id === homeAccountId && entry.client_id === clientId);
  return match?.secret;
}
