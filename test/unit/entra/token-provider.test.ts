import type { TokenCredential } from "@azure/core-auth";
import { describe, expect, it } from "vitest";
import { PUBLIC_PARTNER_CENTER_ENDPOINT } from "../../../bootstrap/src/core/contract";
import { createTokenProvider, type TokenProviderOptions } from "../../../bootstrap/src/entra/token-provider";

/** A credential that is never asked for a token: these tests do not reach the vault. */
const credential: TokenCredential = {
  getToken: () => Promise.reject(new Error("the vault must not be called in these tests")),
};
const keyVaultUri = "https://kv-pcsam-test.vault.azure.net/";

describe("createTokenProvider", () => {
  it("throws a TypeError naming keyVaultUri when it is missing", () => {
    expect(() => createTokenProvider({} as TokenProviderOptions)).toThrow(TypeError);
    expect(() => createTokenProvider({ keyVaultUri: "" })).toThrow(/keyVaultUri is required/);
  });

  it("defaults to Partner Center's user_impersonation scope on the public endpoint", () => {
    const provider = createTokenProvider({ keyVaultUri, credential });
    expect(provider.defaultScopes).toEqual([`${PUBLIC_PARTNER_CENTER_ENDPOINT}/user_impersonation`]);
  });

  it("derives the default scope from a custom Partner Center endpoint, without its trailing slash", () => {
    const provider = createTokenProvider({ keyVaultUri, credential, partnerCenterEndpoint: "https://pc.example.test/" });
    expect(provider.defaultScopes).toEqual(["https://pc.example.test/user_impersonation"]);
  });

  it("does not let callers change the default scopes", () => {
    const provider = createTokenProvider({ keyVaultUri, credential });
    expect(Object.isFrozen(provider.defaultScopes)).toBe(true);
  });
});
