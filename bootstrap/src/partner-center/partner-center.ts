import { networkProblem, networkProblemError } from "../core/network-problems";
import { catalogError } from "../core/error-catalogue";
import { DEFAULT_TRANSIENT_BUDGET_MS, Deadline, describeAttempts, TimeoutError, isTransientNetworkError, isTransientStatus, parseRetryAfter, withRetries, type Classification } from "../core/retry";
import { trimTrailingSlash } from "../core/validate";
import { sendHttp, transportCode } from "../core/http-client";

/** The part of Partner Center's organization profile the commands report. */
export interface OrganizationProfile {
  id: string;
  companyName: string;
}

/** Options for {@link fetchOrganizationProfile}. */
export interface PartnerCenterRequestOptions {
  /** Give up on one request after this many ms. Default 30 000. */
  timeoutMs?: number;
  /** How long to keep retrying 429, 5xx, resets and timeouts (ms). Default 30 s. See retry.ts. */
  transientBudgetMs?: number;
  /** The command's deadline. */
  deadline?: Deadline;
}

/** A Partner Center answer that is worth another attempt. */
class TransientAnswer extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * Calls `GET <endpoint>/v1/profiles/organization` with an App+User access token:
 * the cheapest call that proves the token works for Partner Center. Transient
 * answers are retried as retry.ts describes.
 */
export async function fetchOrganizationProfile(
  endpoint: string,
  accessToken: string,
  options: PartnerCenterRequestOptions = {},
): Promise<OrganizationProfile> {
  const url = `${trimTrailingSlash(endpoint)}/v1/profiles/organization`;
  let answer: { status: number; body: Record<string, unknown> | undefined };
  try {
    answer = await withRetries(
      async (signal) => {
        const response = await sendHttp({ url, method: "GET", headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" }, signal });
        const body = parseJson(response.text);
        if (isTransientStatus(response.status)) throw new TransientAnswer(response.status, parseRetryAfter(response.headers["retry-after"]));
        return { status: response.status, body };
      },
      {
        what: `Partner Center ${new URL(url).host} (GET /v1/profiles/organization)`,
        deadline: options.deadline,
        requestTimeoutMs: options.timeoutMs,
        policies: { transient: { budgetMs: options.transientBudgetMs ?? DEFAULT_TRANSIENT_BUDGET_MS } },
        classify: (error): Classification | undefined => {
          if (error instanceof TransientAnswer) return { concern: "transient", retryAfterMs: error.retryAfterMs };
          return isTransientNetworkError(error) ? { concern: "transient" } : undefined;
        },
      },
    );
  } catch (error) {
    if (error instanceof TransientAnswer) {
      throw catalogError("partner_center_error", {
        message: `Partner Center answered HTTP ${error.status} for ${url}${describeAttempts(error) || " (not retried: no time was left)"}.`,
        hint: "Retry later, or pass --no-verify to skip this check.",
      });
    }
    const problem = networkProblem(error);
    if (problem) throw networkProblemError(problem, { service: "Partner Center", url, cause: error });
    const detail = error instanceof TimeoutError ? error.message : (transportCode(error) ?? (error as Error).message);
    throw catalogError("partner_center_unreachable", {
      message: `Partner Center (${url}) could not be reached: ${detail}`,
      cause: error,
      hint: "Check the network and the stack's partnerCenterEndpoint, or pass --no-verify to skip this check.",
    });
  }
  const { status, body } = answer;
  if (status === 401 || status === 403) {
    const detail = typeof body?.description === "string" ? body.description : `HTTP ${status}`;
    throw catalogError("partner_center_rejected", {
      message: `Partner Center rejected the token: ${detail.slice(0, 300)}`,
      hint: "Sign in as a Partner Center user (admin agent) who completed MFA; the user must belong to the partner tenant.",
    });
  }
  if (status < 200 || status > 299 || typeof body?.id !== "string") {
    throw catalogError("partner_center_error", { message: `Partner Center answered HTTP ${status} for ${url}.`, hint: "Retry later, or pass --no-verify to skip this check." });
  }
  return { id: body.id, companyName: typeof body.companyName === "string" ? body.companyName : "" };
}

/** A JSON object body, or undefined for anything else. */
function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
