/**
 * The public shapes of the Partner Center stand-in (`PartnerCenterEmulator` in
 * ./partner-center): its options, the organization profile, customers and
 * application grants as the tests set them up and the API returns them, and the
 * record of each call. Kept apart so that ./partner-center holds the API's
 * behaviour; it re-exports every shape, so importers keep one import path.
 */
import type { EntraEmulator } from "./entra";
import type { ServerTls } from "./http";

/** The organization profile the stand-in returns. */
export interface OrganizationProfile {
  id: string;
  companyName: string;
  email: string;
  tenantId?: string;
  domain?: string;
  language?: string;
  culture?: string;
  defaultAddress: {
    country: string;
    city: string;
    state?: string;
    addressLine1: string;
    postalCode: string;
    firstName?: string;
    lastName?: string;
    phoneNumber?: string;
  };
  attributes: { objectType: "OrganizationProfile"; etag?: string };
}

/** Options of {@link PartnerCenterEmulator}. */
export interface PartnerCenterEmulatorOptions {
  tls: ServerTls;
  entra: EntraEmulator;
  /** Fields to override in the default Contoso profile. */
  organization?: Partial<OrganizationProfile>;
}

/** A customer of the partner, as `GET /v1/customers` lists it. */
export interface EmulatedCustomer {
  /** The customer id, which is also its Entra tenant id. */
  id: string;
  companyName: string;
  domain: string;
}

/** One application grant of a consent, as the CPV API takes it. */
export interface ApplicationGrant {
  enterpriseApplicationId: string;
  /** Comma-separated scope names, e.g. "User.Read,Directory.Read.All". */
  scope: string;
}

/** One API call (no tokens). */
export interface PartnerCenterCall {
  method: string;
  path: string;
  /** The query string, e.g. "?size=2&seekOperation=Next" ("" when none). */
  search: string;
  status: number;
  /** The MS-RequestId and MS-CorrelationId headers the caller sent. */
  requestId?: string;
  correlationId?: string;
  /** Whether the request carried an Authorization header (never its value). */
  authorized: boolean;
  /** Partner Center error code when the call failed, e.g. "900421". */
  code?: string;
  /** `upn` of a token that verified. */
  user?: string;
}
