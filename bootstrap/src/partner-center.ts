import { ServiceError, SignInError } from "./errors";
import { trimTrailingSlash } from "./validate";

/** The part of Partner Center's organization profile the commands report. */
export interface OrganizationProfile {
  id: string;
  companyName: string;
}

/** Options for {@link fetchOrganizationProfile}. */
export interface PartnerCenterRequestOptions {
  /** Give up after this many ms. Default 30 000. */
  timeoutMs?: number;
}

/**
 * Calls `GET <endpoint>/v1/profiles/organization` with an App+User access token:
 * the cheapest call that proves the token works for Partner Center.
 */
export async function fetchOrganizationProfile(
  endpoint: string,
  accessToken: string,
  options: PartnerCenterRequestOptions = {},
): Promise<OrganizationProfile> {
  const url = `${trimTrailingSlash(endpoint)}/v1/profiles/organization`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new ServiceError("partner_center_unreachable", `Partner Center (${url}) could not be reached: ${(error as Error).message}`, undefined, {
      cause: error,
      hint: "Check the network and the stack's partnerCenterEndpoint, or pass --no-verify to skip this check.",
    });
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status === 401 || response.status === 403) {
    const detail = typeof body?.description === "string" ? body.description : `HTTP ${response.status}`;
    throw new SignInError("partner_center_rejected", `Partner Center rejected the token: ${detail.slice(0, 300)}`, {
      hint: "Sign in as a Partner Center user (admin agent) who completed MFA; the user must belong to the partner tenant.",
    });
  }
  if (!response.ok || typeof body?.id !== "string") {
    throw new ServiceError("partner_center_error", `Partner Center answered HTTP ${response.status} for ${url}.`, undefined, {
      hint: "Retry later, or pass --no-verify to skip this check.",
    });
  }
  return { id: body.id, companyName: typeof body.companyName === "string" ? body.companyName : "" };
}
