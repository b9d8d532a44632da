/**
 * Entra ID's answers to a redemption in a customer tenant (GDAP) that a person must act on (exit 3), each with
 * its own catalogue code: the app is not there; the partner user has no GDAP access there; or the customer's own
 * policy refuses the partner user. A customer-side policy is the customer administrator's to change — running
 * the bootstrap again (a new partner sign-in) fixes none of them, so no message here says to.
 *
 * Sources (docs/customer-answers.md): MicrosoftDocs/entra-docs `docs/identity-platform/reference-error-codes.md`;
 * Entra's B2B troubleshooting guide "AADSTS Error Codes" (50177, 50178, 90072 answer with the "does not exist in
 * tenant" text, their true reason being the customer's Conditional Access: Terms of Use or session controls do not
 * support service-provider users, learn.microsoft.com/partner-center/gdap-faq); learn.microsoft.com/entra/external-id
 * cross-tenant access settings (500213).
 */
import { catalogError } from "../core/error-catalogue";
import type { SamError } from "../core/errors";
import { recentConsent } from "../partner-center/recent-consents";
import type { EntraErrorFields } from "./entra-errors";

/** In a customer tenant: the app is not there, or not consented for what was asked. */
const CUSTOMER_APP_MISSING = new Set(["700016", "650052", "65001"]);
/** In a customer tenant: the partner user has no (GDAP) access there. */
const CUSTOMER_USER_MISSING = new Set(["50020"]);
/** The customer's Conditional Access or cross-tenant access settings do not support service-provider users. */
const SERVICE_PROVIDER_BLOCKED = new Set(["50177", "50178"]);
/** The customer's policy demands MFA (or MFA registration) the partner user's token does not satisfy there. */
const CUSTOMER_MFA = new Set(["50076", "50078", "50079", "90072"]);

function withNumber(error: string, aadsts: string | undefined): string {
  return aadsts ? `${error}, AADSTS${aadsts}` : error;
}

const NOT_BOOTSTRAP = "Signing in again (the bootstrap) does not change a customer's policy.";

/**
 * The error for a redemption in customer tenant `tenant` that a person must fix, or undefined for anything else
 * (explained as usual, e.g. the partner's own refresh token being dead).
 */
export function explainCustomerTenantError(fields: EntraErrorFields, tenant: string, opts: { aadsts?: string; cause: unknown }): SamError | undefined {
  const { aadsts: code, error: oauthError, suberror } = fields;
  const what = withNumber(oauthError || "error", code);
  const consentedAt = code === "700016" ? recentConsent(tenant) : undefined;
  if (consentedAt !== undefined) {
    const seconds = Math.max(0, Math.round((Date.now() - consentedAt) / 1000));
    return catalogError("customer_consent_propagating", {
      message: `The app was consented in the customer tenant ${tenant} ${seconds} s ago and Entra ID does not show it there yet (${what}).`,
      ...opts,
      hint: "Consent can take minutes to propagate: wait a few minutes and try again. Consenting again does not speed it up.",
    });
  }
  if (code === "65001") {
    // The app is in the tenant (else 700016), but its consent there does not cover what was asked: a consent from
    // before the stack's customerGraphScopes grew.
    return catalogError("customer_consent_missing", {
      message: `The app's consent in the customer tenant ${tenant} does not cover the requested scopes (${what}).`,
      ...opts,
      hint: `Run \`partner-center-sam consent --customer ${tenant} --replace\` to replace that consent with the stack's current customerGraphScopes, then try again.`,
    });
  }
  if ((code && CUSTOMER_APP_MISSING.has(code)) || (!code && (oauthError === "consent_required" || suberror === "consent_required"))) {
    return catalogError("customer_consent_missing", {
      message: `The app is not consented in the customer tenant ${tenant} for the requested scopes (${what}).`,
      ...opts,
      hint: `Run \`partner-center-sam consent --customer ${tenant}\` to add the app to that tenant with the stack's customerGraphScopes (the app must be multi-tenant: set \`multiTenant: true\` and run \`pulumi up\` first); if a consent exists but lacks scopes, use \`consent --customer ${tenant} --replace\`. Then try again.`,
    });
  }
  if (code === "53003") {
    return catalogError("customer_conditional_access_blocked", {
      message: `The customer's Conditional Access blocked the partner user's token in the customer tenant ${tenant} (${what}).`,
      ...opts,
      hint: `The customer's administrator must allow your organization's users (service provider users) in the Conditional Access policy that blocked them; their sign-in logs name it. ${NOT_BOOTSTRAP}`,
    });
  }
  if (code && SERVICE_PROVIDER_BLOCKED.has(code)) {
    return catalogError("customer_service_provider_blocked", {
      message: `The customer tenant ${tenant} does not let service-provider users in (${what}): a Conditional Access policy there (Terms of Use or session controls) or its cross-tenant access settings block them. This is not a missing GDAP role.`,
      ...opts,
      hint: `The customer's administrator must exclude service provider users (or this app) from that Conditional Access policy. ${NOT_BOOTSTRAP}`,
    });
  }
  if (code && CUSTOMER_MFA.has(code)) {
    return catalogError("customer_mfa_required", {
      message: `The customer tenant ${tenant} requires multi-factor authentication (or MFA registration) that the partner user's token does not satisfy there (${what}).`,
      ...opts,
      hint: `The customer's administrator must trust multifactor authentication from your tenant in their cross-tenant access settings (inbound trust), or exclude service provider users from the policy that asks for it. ${NOT_BOOTSTRAP}`,
    });
  }
  if (code === "500213") {
    return catalogError("customer_cross_tenant_blocked", {
      message: `The customer tenant ${tenant}'s cross-tenant access settings do not allow the partner user in (${what}).`,
      ...opts,
      hint: `The customer's administrator must allow your tenant's users in their inbound cross-tenant access settings. ${NOT_BOOTSTRAP}`,
    });
  }
  if (code === "530034") {
    return catalogError("customer_admin_risk_blocked", {
      message: `The customer tenant ${tenant} blocked delegated admin access because the partner user is rated risky in your own tenant (${what}).`,
      ...opts,
      hint: `Your tenant's administrator must remediate the user's risk (Entra ID Protection, risky users: reset the password or confirm the user safe). ${NOT_BOOTSTRAP}`,
    });
  }
  if ((code && CUSTOMER_USER_MISSING.has(code)) || (!code && oauthError === "interaction_required")) {
    return catalogError("gdap_access_missing", {
      message: `The signed-in partner user has no GDAP role in the customer tenant ${tenant} (${what}).`,
      ...opts,
      hint: "In Partner Center, the customer needs an active GDAP relationship with your organization that grants the roles this call needs, and that relationship must assign those roles to a security group of your tenant which has the user who ran the bootstrap as a member. Set that up (this tool cannot), allow for propagation, then try again.",
    });
  }
  return undefined;
}
