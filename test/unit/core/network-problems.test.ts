import { AuthError } from "@azure/msal-node";
import { describe, expect, it } from "vitest";
import { networkProblem, networkProblemError } from "../../../bootstrap/src/core/network-problems";
import { explainEntraError } from "../../../bootstrap/src/entra/entra-errors";

/** What undici's fetch throws: a TypeError whose cause carries Node's code. */
const fetchFailed = (code: string) => new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });

describe("networkProblem", () => {
  it.each(["ENOTFOUND", "EAI_AGAIN"])("reads %s along the cause chain as a name that does not resolve", (code) => {
    expect(networkProblem(fetchFailed(code))).toEqual({ kind: "unresolved", code });
  });

  it.each(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"])("reads %s as an untrusted certificate", (code) => {
    expect(networkProblem(new Error("outer", { cause: fetchFailed(code) }))).toEqual({ kind: "untrusted", code });
  });

  it("leaves other failures alone", () => {
    expect(networkProblem(fetchFailed("ECONNREFUSED"))).toBeUndefined();
    expect(networkProblem(new Error("nothing"))).toBeUndefined();
  });
});

describe("networkProblemError", () => {
  it("points a real host's untrusted certificate at a TLS-inspecting proxy's root CA, never at turning checks off", () => {
    const error = networkProblemError({ kind: "untrusted", code: "SELF_SIGNED_CERT_IN_CHAIN" }, { service: "Partner Center", url: "https://api.partnercenter.microsoft.com/v1/profiles/organization" });
    expect(error).toMatchObject({ code: "certificate_untrusted", exitCode: 1 });
    expect(error.message).toBe("Partner Center at api.partnercenter.microsoft.com presented a certificate this machine does not trust (SELF_SIGNED_CERT_IN_CHAIN).");
    expect(error.hint).toMatch(/proxy's root certificate/);
    expect(error.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(error.hint).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED/);
  });

  it("points a real vault name that does not resolve at DNS, not at the emulator", () => {
    const error = networkProblemError({ kind: "unresolved", code: "ENOTFOUND" }, { service: "Key Vault", url: "https://kv-x.vault.azure.net/" });
    expect(error).toMatchObject({ code: "host_not_resolved", exitCode: 1 });
    expect(error.hint).toMatch(/private DNS zone/);
    expect(error.hint).not.toMatch(/emulator/);
  });
});

describe("Entra ID on the same path", () => {
  it("an authority host whose certificate is not trusted gets certificate_untrusted, not entra_unreachable", () => {
    const network = Object.assign(new AuthError("network_error", "", "Entra ID https://localhost:1 (POST /t/oauth2/v2.0/token) could not be reached."), { cause: fetchFailed("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), url: "https://localhost:1" });
    const explained = explainEntraError(network, { phase: "refresh" });
    expect(explained).toMatchObject({ code: "certificate_untrusted" });
    expect(explained.hint).toMatch(/emulator's CA file/);
  });
});
