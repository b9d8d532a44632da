/**
 * A customer tenant's own policies, as Entra ID answers a partner user there: each class gets its own catalogue
 * code and exit 3, names the customer, and never sends the user back to the bootstrap (which changes nothing in
 * the customer's tenant). Also the consent answers: 65001 points at `consent --replace`, and a 700016 right after
 * this process consented says consent takes minutes to propagate.
 */
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode, ServiceError } from "../../../bootstrap/src/core/errors";
import { explainEntraError } from "../../../bootstrap/src/entra/entra-errors";
import { forgetConsents, noteConsent, recentConsent, CONSENT_PROPAGATION_MS } from "../../../bootstrap/src/partner-center/recent-consents";

const CUSTOMER = "fabrikam.onmicrosoft.com";

function msalError(error: string, aadsts: string, sentence: string, suberror = ""): Error {
  const description = `AADSTS${aadsts}: ${sentence}\r\nTrace ID: 0d1c\r\nCorrelation ID: 5e6f7a8b-2222-4000-8000-00000000cafe`;
  return error === "invalid_grant" || error === "interaction_required"
    ? new InteractionRequiredAuthError(error, "5e6f7a8b", description, suberror, "", "", "", aadsts)
    : new ServerError(error, "5e6f7a8b", description, suberror, aadsts);
}

afterEach(() => forgetConsents());

/** "run … bootstrap" in any form: what a customer-side policy error must never say. */
const RUN_BOOTSTRAP = /run[^.]*bootstrap|npm run bootstrap/i;

describe("Entra ID's answers for a customer's own policies", () => {
  it.each([
    ["53003", "invalid_grant", "customer_conditional_access_blocked", /Conditional Access blocked/],
    ["50177", "invalid_grant", "customer_service_provider_blocked", /does not let service-provider users in.*not a missing GDAP role/s],
    ["50178", "invalid_grant", "customer_service_provider_blocked", /service-provider users/],
    ["50076", "invalid_grant", "customer_mfa_required", /requires multi-factor authentication/],
    ["50079", "interaction_required", "customer_mfa_required", /requires multi-factor authentication/],
    ["50078", "invalid_grant", "customer_mfa_required", /requires multi-factor authentication/],
    ["90072", "invalid_grant", "customer_mfa_required", /requires multi-factor authentication/],
    ["500213", "invalid_grant", "customer_cross_tenant_blocked", /cross-tenant access settings/],
    ["530034", "invalid_grant", "customer_admin_risk_blocked", /risky/],
  ])("maps AADSTS%s (%s) to %s, exit 3, naming the customer and not the bootstrap", (aadsts, error, code, message) => {
    const explained = explainEntraError(msalError(error, aadsts, "Blocked.", "basic_action"), { phase: "refresh", customerTenant: CUSTOMER });

    expect(explained).toMatchObject({ code, exitCode: ExitCode.ActionNeeded, aadsts });
    expect(explained).toBeInstanceOf(ServiceError);
    expect(explained.message).toContain(CUSTOMER);
    expect(explained.message).toMatch(message);
    expect(explained.hint).toMatch(/customer's administrator|Your tenant's administrator/);
    expect(`${explained.message} ${explained.hint}`).not.toMatch(RUN_BOOTSTRAP);
  });

  it("keeps the same codes in the partner's own tenant as they were: there a new sign-in is the fix", () => {
    for (const aadsts of ["53003", "50076"]) {
      const explained = explainEntraError(msalError("invalid_grant", aadsts, "Blocked."), { phase: "refresh" });
      expect(explained.code).toBe("consent_required");
    }
  });

  it("gives each policy class its own code", () => {
    const codes = ["53003", "50177", "50076", "500213", "530034", "50020"].map((aadsts) => explainEntraError(msalError("invalid_grant", aadsts, "x"), { phase: "refresh", customerTenant: CUSTOMER }).code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe("Entra ID's consent answers in a customer tenant", () => {
  it("points a 65001 (a consent narrower than asked) at consent --customer … --replace", () => {
    const explained = explainEntraError(msalError("invalid_grant", "65001", "The user or administrator has not consented.", "consent_required"), { phase: "refresh", customerTenant: CUSTOMER });
    expect(explained).toMatchObject({ code: "customer_consent_missing", exitCode: ExitCode.ActionNeeded });
    expect(explained.hint).toContain(`partner-center-sam consent --customer ${CUSTOMER} --replace`);
  });

  it("says a 700016 right after this process consented is propagation, and a 700016 without one is a missing consent", () => {
    const error = () => msalError("unauthorized_client", "700016", "Application with identifier 'x' was not found in the directory 'y'.");
    expect(explainEntraError(error(), { phase: "refresh", customerTenant: CUSTOMER }).code).toBe("customer_consent_missing");

    noteConsent(CUSTOMER.toUpperCase());
    const explained = explainEntraError(error(), { phase: "refresh", customerTenant: CUSTOMER });
    expect(explained).toMatchObject({ code: "customer_consent_propagating", exitCode: ExitCode.ActionNeeded });
    expect(explained.message).toMatch(new RegExp(`consented in the customer tenant ${CUSTOMER} \\d+ s ago`));
    expect(explained.hint).toMatch(/can take minutes to propagate/);
    expect(explained.hint).not.toMatch(/partner-center-sam consent/);
  });

  it("counts a consent as recent for fifteen minutes only", () => {
    noteConsent(CUSTOMER, 1_000);
    expect(recentConsent(CUSTOMER, 1_000 + CONSENT_PROPAGATION_MS - 1)).toBe(1_000);
    expect(recentConsent(CUSTOMER, 1_000 + CONSENT_PROPAGATION_MS)).toBeUndefined();
    expect(recentConsent("other.onmicrosoft.com", 1_000)).toBeUndefined();
  });
});
