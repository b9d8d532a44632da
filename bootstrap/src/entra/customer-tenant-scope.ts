/**
 * Partner Center is called in the partner's own tenant: its App+User token is
 * the partner user's, and customers are reached through its paths
 * (`/v1/customers/{id}/…`), never with a token issued in a customer tenant.
 * A token request for a Partner Center scope in a customer tenant is therefore
 * refused before any request is made, with the way to get what was meant.
 */
import { PUBLIC_PARTNER_CENTER_ENDPOINT } from "../core/contract";
import { catalogError } from "../core/error-catalogue";
import type { SamError } from "../core/errors";

/** Partner Center's first-party application id, the resource of `fa3d9a0c-…/user_impersonation` scopes. */
const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";

/** Whether `scope` is for Partner Center: the endpoint in use, the public endpoint, or Partner Center's app id. */
export function isPartnerCenterScope(scope: string, partnerCenterEndpoint: string): boolean {
  const s = scope.toLowerCase();
  const resources = [new URL(partnerCenterEndpoint).origin, new URL(PUBLIC_PARTNER_CENTER_ENDPOINT).origin, PARTNER_CENTER_APP_ID, `api://${PARTNER_CENTER_APP_ID}`].map((r) => r.toLowerCase());
  return resources.some((resource) => s === resource || s.startsWith(`${resource}/`));
}

/**
 * The usage error (exit 2) for a Partner Center scope requested in customer
 * tenant `tenantId`, or undefined when no scope is Partner Center's.
 */
export function partnerCenterInCustomerTenant(scopes: readonly string[], tenantId: string, partnerCenterEndpoint: string): SamError | undefined {
  const scope = scopes.find((s) => isPartnerCenterScope(s, partnerCenterEndpoint));
  if (!scope) return undefined;
  return catalogError("partner_center_customer_tenant", {
    message: `A Partner Center token (${scope}) was asked for in customer tenant ${tenantId}, but Partner Center is called in the partner's own tenant; nothing was requested.`,
  });
}
