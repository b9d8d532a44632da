import { describe, expect, it } from "vitest";
import { checkUrl, isHttpsUrl, isRedirectUri, redactUrl, URL_RULES, type UrlRule } from "../../../bootstrap/src/core/validate";

type Rule = keyof typeof URL_RULES;

describe("checkUrl, the one check for every URL input", () => {
  it.each<[Rule, string, string]>([
    ["authorityHost", "https://login.microsoftonline.com", "https://login.microsoftonline.com"],
    ["authorityHost", "https://login.microsoftonline.us/", "https://login.microsoftonline.us"],
    ["authorityHost", "https://LOGIN.example.test:8443//", "https://login.example.test:8443"],
    ["keyVaultUri", "https://kv-name.vault.azure.net/", "https://kv-name.vault.azure.net"],
    ["partnerCenterEndpoint", "https://api.partnercenter.microsoft.com/", "https://api.partnercenter.microsoft.com"],
    ["partnerCenterEndpoint", "https://pc.example.test/base/", "https://pc.example.test/base"],
    ["redirectUri", "http://localhost:8400/", "http://localhost:8400/"],
    ["redirectUri", "http://localhost/callback", "http://localhost/callback"],
    ["redirectUri", "https://app.example.test/signin", "https://app.example.test/signin"],
    ["adminConsentUrl", "https://login.microsoftonline.com/t/adminconsent?client_id=c", "https://login.microsoftonline.com/t/adminconsent?client_id=c"],
  ])("accepts %s %j as %j", (rule, value, normalized) => {
    const result = checkUrl(value, URL_RULES[rule]);
    expect(result).toMatchObject({ ok: true, normalized });
  });

  it.each<[Rule, unknown, string]>([
    ["authorityHost", undefined, "it is missing"],
    ["authorityHost", 443, "it is not a string"],
    ["authorityHost", "", "it is not an absolute URL"],
    ["authorityHost", "login.microsoftonline.com", "it is not an absolute URL"],
    ["authorityHost", " https://login.microsoftonline.com", "it contains spaces or control characters"],
    ["authorityHost", "https://login.micro\nsoftonline.com", "it contains spaces or control characters"],
    ["authorityHost", "http://login.microsoftonline.com", "it uses http; only https is accepted"],
    ["authorityHost", "ftp://login.microsoftonline.com", 'it uses the scheme "ftp"; only https is accepted'],
    ["authorityHost", "javascript:alert(1)", 'it uses the scheme "javascript"; only https is accepted'],
    ["authorityHost", "https://login.microsoftonline.com/common", 'it has a path ("/common"); give the host only; the commands add the tenant themselves'],
    ["authorityHost", "https://login.microsoftonline.com/?p=1", "it has a query string (?…)"],
    ["authorityHost", "https://login.microsoftonline.com/?", "it has a query string (?…)"],
    ["authorityHost", "https://login.microsoftonline.com/#", "it has a fragment (#…)"],
    ["authorityHost", "https://user@login.microsoftonline.com", "it contains a user name or password; never put credentials in a URL"],
    ["authorityHost", "https://:pw@login.microsoftonline.com", "it contains a user name or password; never put credentials in a URL"],
    ["authorityHost", "https://@login.microsoftonline.com", "it contains a user name or password; never put credentials in a URL"],
    ["keyVaultUri", "https://kv.vault.azure.net/secrets/x", 'it has a path ("/secrets/x"); give the vault\'s address only'],
    ["partnerCenterEndpoint", "https://pc.example.test/v1?x", "it has a query string (?…)"],
    ["redirectUri", "http://example.com/cb", "http is only allowed for http://localhost"],
    ["redirectUri", "http://127.0.0.1:8400/", "http is only allowed for http://localhost"],
    ["redirectUri", "http://localhost:0/", "port 0 is not a port a browser can be redirected to"],
    ["redirectUri", "http://localhost:8400/?a=b", "it has a query string (?…)"],
    ["redirectUri", "http://localhost:8400/#a", "it has a fragment (#…)"],
    ["redirectUri", "http://localhost:65536/", "it is not an absolute URL"],
    ["adminConsentUrl", "https://login.example.test/a#b", "it has a fragment (#…)"],
  ])("refuses %s %j: %s", (rule, value, reason) => {
    const result = checkUrl(value, URL_RULES[rule]);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it("shows a refused value with its credentials replaced, whatever shape it has", () => {
    const cases = ["https://alice:Pa55-w0rd@kv.vault.azure.net/", "http://alice:Pa55-w0rd@host/x", "https://alice:Pa55/w0rd@kv/", "htps://alice:Pa55-w0rd@@x"];
    for (const value of cases) {
      const result = checkUrl(value, URL_RULES.keyVaultUri);
      expect(result.ok).toBe(false);
      const shown = (result as { shown: string }).shown;
      expect(shown).toMatch(/^"[a-z]+:\/\/\*\*\*@/);
      expect(shown).not.toMatch(/Pa55|w0rd|alice/);
    }
  });

  it("redactUrl leaves a URL without credentials as it is", () => {
    expect(redactUrl("https://kv.vault.azure.net/")).toBe("https://kv.vault.azure.net/");
    expect(redactUrl("https://u:p@kv/")).toBe("https://***@kv/");
  });

  it("keeps the boolean helpers in line with the rules", () => {
    const endpoint: UrlRule = URL_RULES.partnerCenterEndpoint;
    expect(endpoint.kind).toBe("endpoint");
    expect(isHttpsUrl("https://pc.example.test/v1")).toBe(true);
    expect(isHttpsUrl("https://pc.example.test/v1?x=1")).toBe(false);
    expect(isRedirectUri("http://localhost:8400/")).toBe(true);
    expect(isRedirectUri("http://localhost:0/")).toBe(false);
  });
});
