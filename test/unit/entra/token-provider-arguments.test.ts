import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenProvider, type TokenProvider } from "../../../bootstrap/src/entra/token-provider";
import { RefreshTokenRotator } from "../../../bootstrap/src/entra/refresh-token-rotator";
import { UsageError } from "../../../bootstrap/src/core/errors";
import { VaultStore } from "../../../bootstrap/src/vault/vault-store";

/** A credential that is never asked for a token: these tests do not reach the vault. */
const credential: TokenCredential = {
  getToken: () => Promise.reject(new Error("the vault must not be called in these tests")),
};
const keyVaultUri = "https://kv-pcsam-test.vault.azure.net/";
const savedAuthority = process.env.AZURE_AUTHORITY_HOST;

afterEach(() => {
  if (savedAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = savedAuthority;
});

describe("createTokenProvider checks its URLs like the commands do", () => {
  it.each<[string, { keyVaultUri: string; authorityHost?: string; partnerCenterEndpoint?: string }, RegExp]>([
    ["a vault URI over http", { keyVaultUri: "http://kv.vault.azure.net/" }, /keyVaultUri must be an https URL .*it uses http/],
    ["a vault URI with a path", { keyVaultUri: "https://kv.vault.azure.net/secrets" }, /keyVaultUri .*it has a path/],
    ["an authority host with a tenant path", { keyVaultUri, authorityHost: "https://login.microsoftonline.com/contoso" }, /authorityHost .*it has a path \("\/contoso"\)/],
    ["a Partner Center endpoint with a query", { keyVaultUri, partnerCenterEndpoint: "https://api.partnercenter.microsoft.com/?x=1" }, /partnerCenterEndpoint .*query string/],
  ])("throws a TypeError for %s", (_case, options, message) => {
    expect(() => createTokenProvider({ credential, ...options })).toThrow(TypeError);
    expect(() => createTokenProvider({ credential, ...options })).toThrow(message);
  });

  it("checks AZURE_AUTHORITY_HOST when no authorityHost is given, and never shows its password", () => {
    process.env.AZURE_AUTHORITY_HOST = "https://svc:Env-S3cret@login.example.test";
    let message = "";
    try {
      createTokenProvider({ keyVaultUri, credential });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('AZURE_AUTHORITY_HOST (environment) must be an https URL of the host only, such as https://login.microsoftonline.com, got "https://***@login.example.test"');
    expect(message).not.toContain("S3cret");
  });

  it("accepts an authority host with a trailing slash", () => {
    expect(() => createTokenProvider({ keyVaultUri, credential, authorityHost: "https://login.example.test/" })).not.toThrow();
  });
});

describe("the library refuses two secrets under one name, as the commands do", () => {
  const names = { clientId: "pc-client-id", clientSecret: "pc-client-secret", tenantId: "pc-tenant-id", refreshToken: "pc-refresh-token" };
  const refused = (make: () => unknown): UsageError => {
    try {
      make();
    } catch (error) {
      return error as UsageError;
    }
    throw new Error("constructed without complaint");
  };

  it("createTokenProvider throws stack_outputs_invalid (exit 2) when the refresh token's name is the client secret's, in any case", () => {
    const error = refused(() => createTokenProvider({ keyVaultUri, credential, secretNames: { ...names, refreshToken: "PC-Client-Secret" } }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: "stack_outputs_invalid", exitCode: 2 });
    expect(error.message).toContain('createTokenProvider: secretNames.clientSecret and secretNames.refreshToken are both "pc-client-secret"');
  });

  it("createTokenProvider refuses a name shared with a default name it fills in", () => {
    const error = refused(() => createTokenProvider({ keyVaultUri, credential, secretNames: { refreshToken: "partnercenter-client-secret" } }));
    expect(error).toMatchObject({ code: "stack_outputs_invalid" });
  });

  it("VaultStore and RefreshTokenRotator refuse shared names at construction, with the same code", () => {
    const store = refused(() => new VaultStore({ keyVaultUri, credential, secretNames: { ...names, tenantId: names.clientId } }));
    expect(store).toMatchObject({ code: "stack_outputs_invalid", exitCode: 2 });
    expect(store.message).toMatch(/^VaultStore: secretNames.clientId and secretNames.tenantId are both/);
    // A store-like object whose names were changed after its own check.
    const duck = { secretNames: { ...names, refreshToken: names.clientSecret } } as unknown as VaultStore;
    const rotator = refused(() => new RefreshTokenRotator({ store: duck, authorityHost: "https://login.example.test" }));
    expect(rotator).toMatchObject({ code: "stack_outputs_invalid", exitCode: 2 });
    expect(rotator.message).toMatch(/^RefreshTokenRotator: /);
  });

  it("accepts four distinct names", () => {
    expect(() => createTokenProvider({ keyVaultUri, credential, secretNames: names })).not.toThrow();
  });
});

describe("getAccessToken with bad arguments", () => {
  const provider = (): TokenProvider => createTokenProvider({ keyVaultUri, credential });

  it.each<[string, unknown]>([
    ["null", null],
    ["a string instead of an array", "https://api.partnercenter.microsoft.com/user_impersonation"],
    ["an empty array", []],
    ["an array with an empty scope", [""]],
    ["an array with a number", [42]],
    ["an array with a scope containing a space", ["a b"]],
    ["a request whose scope contains a space", { scopes: ["a b"] }],
    ["a request with an empty scope list", { scopes: [] }],
  ])("returns a rejected promise, never throwing synchronously, for %s", async (_case, scopes) => {
    let result: Promise<string> | undefined;
    expect(() => (result = provider().getAccessToken(scopes as string[]))).not.toThrow();
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow(/getAccessToken: scopes must be a non-empty array of scope strings/);
  });
});
