/**
 * Entra ID's answers to a redemption in a customer tenant (GDAP): the app not
 * there and a user without a GDAP role get their own exit-3 errors, while the
 * partner's own refresh-token failures keep their meaning.
 */
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { describe, expect, it } from "vitest";
import { explainEntraError } from "../../../bootstrap/src/entra/entra-errors";
import { ConsentRequiredError, ExitCode, SamError } from "../../../bootstrap/src/core/errors";

const CUSTOMER = "fabrikam.onmicrosoft.com";
const CORRELATION_ID = "5e6f7a8b-2222-4000-8000-00000000cafe";

/** What msal-node throws for a token-endpoint error: InteractionRequiredAuthError for invalid_grant / interaction_required, else ServerError. */
function msalError(error: string, aadsts: string | undefined, sentence: string, suberror = ""): Error {
  const description = `${aadsts ? `AADSTS${aadsts}: ` : ""}${sentence}\r\nTrace ID: 0d1c\r\nCorrelation ID: ${CORRELATION_ID}`;
  return error === "invalid_grant" || error === "interaction_required"
    ? new InteractionRequiredAuthError(error, CORRELATION_ID, description, suberror, "", "", "", aadsts)
    : new ServerError(error, CORRELATION_ID, description, suberror, aadsts);
}

describe("explainEntraError in a customer tenant", () => {
  it.each([
    ["700016 (app not in the directory)", msalError("unauthorized_client", "700016", "Application with identifier 'x' was not found in the directory 'y'."), "700016"],
    ["650052 (no service principal for a resource)", msalError("invalid_client", "650052", "The app is trying to access a service that your organization lacks a service principal for."), "650052"],
    ["65001 (not consented)", msalError("invalid_grant", "65001", "The user or administrator has not consented to use the application.", "consent_required"), "65001"],
    ["consent_required without a number", msalError("invalid_grant", undefined, "Consent is required.", "consent_required"), undefined],
  ])("maps %s to customer_consent_missing, exit 3, with the consent command for that tenant", (_case, error, aadsts) => {
    const explained = explainEntraError(error, { phase: "refresh", customerTenant: CUSTOMER });

    expect(explained).toMatchObject({ code: "customer_consent_missing", exitCode: ExitCode.ActionNeeded, aadsts });
    expect(explained.message).toContain(CUSTOMER);
    expect(explained.hint).toContain(`partner-center-sam consent --customer ${CUSTOMER}`);
    expect(`${explained.message} ${explained.hint}`).not.toContain(CORRELATION_ID);
  });

  it.each([
    ["50020 (user not in the tenant)", msalError("invalid_grant", "50020", "User account 'a@b' from identity provider 'https://sts.windows.net/x/' does not exist in tenant 'Fabrikam'."), "50020"],
    ["interaction_required without a number", msalError("interaction_required", undefined, "Interaction is required."), undefined],
  ])("maps %s to gdap_access_missing, exit 3, naming what to set up in Partner Center", (_case, error, aadsts) => {
    const explained = explainEntraError(error, { phase: "refresh", customerTenant: CUSTOMER });

    expect(explained).toMatchObject({ code: "gdap_access_missing", exitCode: ExitCode.ActionNeeded, aadsts });
    expect(explained.message).toContain(CUSTOMER);
    expect(explained.hint).toMatch(/GDAP relationship.*security group/s);
  });

  it("maps an unknown tenant (AADSTS90002) to tenant_not_found, exit 2", () => {
    const explained = explainEntraError(msalError("invalid_tenant", "90002", "Tenant 'x' not found."), { phase: "refresh", customerTenant: CUSTOMER });

    expect(explained).toMatchObject({ code: "tenant_not_found", exitCode: ExitCode.Usage });
  });

  it("keeps the partner's refresh-token failures as they are: an expired token still says to run the bootstrap", () => {
    const explained = explainEntraError(msalError("invalid_grant", "700082", "The refresh token has expired due to inactivity."), { phase: "refresh", customerTenant: CUSTOMER });

    expect(explained).toBeInstanceOf(ConsentRequiredError);
    expect(explained.code).toBe("consent_required");
  });

  it("keeps today's meaning in the partner's own tenant: 65001 and 50020 are not customer errors there", () => {
    const consent = explainEntraError(msalError("invalid_grant", "65001", "Not consented.", "consent_required"), { phase: "refresh" });
    const user = explainEntraError(msalError("invalid_grant", "50020", "User account does not exist in tenant."), { phase: "refresh" });

    expect(consent).toBeInstanceOf(ConsentRequiredError);
    expect(user).toBeInstanceOf(SamError);
    expect([consent.code, user.code]).not.toContain("customer_consent_missing");
    expect([consent.code, user.code]).not.toContain("gdap_access_missing");
  });
});
