/**
 * The metadata MSAL is given instead of fetching it: derived from the authority
 * host, with Entra ID's documented aliases for the public cloud, and exactly
 * what the emulator's OpenID configuration says for its own host.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorityMetadataFor } from "../../../bootstrap/src/entra/authority-metadata";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;
beforeAll(async () => {
  s = await startStandIns();
});
afterAll(async () => {
  await s?.stop();
});

describe("authorityMetadataFor", () => {
  it("gives the public cloud its tenant endpoints and the four documented host aliases", () => {
    const { authorityMetadata, cloudDiscoveryMetadata } = authorityMetadataFor("https://login.microsoftonline.com/");
    expect(JSON.parse(authorityMetadata)).toEqual({
      token_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
      jwks_uri: "https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
      issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
      authorization_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
      end_session_endpoint: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/logout",
    });
    expect(JSON.parse(cloudDiscoveryMetadata).metadata).toEqual([
      { preferred_network: "login.microsoftonline.com", preferred_cache: "login.windows.net", aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"] },
    ]);
  });

  it("knows another host (a sovereign cloud) by its own name only", () => {
    const { cloudDiscoveryMetadata } = authorityMetadataFor("https://login.microsoftonline.us");
    expect(JSON.parse(cloudDiscoveryMetadata).metadata).toEqual([{ preferred_network: "login.microsoftonline.us", preferred_cache: "login.microsoftonline.us", aliases: ["login.microsoftonline.us"] }]);
  });

  it("matches what the emulated Entra ID's OpenID configuration says for a tenant", async () => {
    const response = await fetch(`${s.entra.url}/${s.tenantId}/v2.0/.well-known/openid-configuration`);
    const served = (await response.json()) as Record<string, string>;
    const supplied = JSON.parse(authorityMetadataFor(s.entra.url).authorityMetadata) as Record<string, string>;

    for (const field of ["token_endpoint", "jwks_uri", "issuer", "authorization_endpoint", "end_session_endpoint"]) {
      expect(supplied[field]!.replace(/\{tenant(id)?\}/, s.tenantId), field).toBe(served[field]);
    }
  });
});
