/**
 * `consent`: puts the app into customer tenants the way Microsoft documents for
 * Control Panel Vendor apps of the Secure Application Model:
 * `POST <endpoint>/v1/customers/{customer}/applicationconsents` with the app's
 * client id and its Microsoft Graph grants; an existing consent is replaced only
 * when asked (`DELETE …/applicationconsents/{clientId}`, then POST).
 *
 * An existing consent is recognised as real clients recognise it: the text
 * "Permission entry already exists" in a 4xx answer, or a 409 (Microsoft documents
 * 200, 201, 400, 401, 403, 404 and 500 for this API and no 409; CIPP-API
 * `Set-CIPPCPVConsent.ps1` matches the text). See docs/customer-answers.md.
 */
import { ApiCallError, type ApiClient } from "../partner-center/api-client";
import { noteConsent } from "../partner-center/recent-consents";
import { catalogError } from "../core/error-catalogue";
import { isGuid } from "../core/validate";

/** Microsoft Graph's application id, the enterprise application the grants are for. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** What happened for one customer. */
export type ConsentOutcome = "consented" | "replaced" | "exists" | "planned" | "failed";

/** The result for one customer (the --json array holds these). */
export interface CustomerConsentResult {
  customer: string;
  outcome: ConsentOutcome;
  /** The HTTP status of the failed call, when one failed. */
  status?: number;
  /** Why it failed (the service's code and description). */
  message?: string;
  requestId?: string;
  correlationId?: string;
}

/** Options of {@link runConsent}. */
export interface ConsentOptions {
  client: ApiClient;
  /** The app's client id (stack output `clientId`). */
  clientId: string;
  /** The stack output `multiTenant`; undefined when the stack does not export it (an older stack). */
  multiTenant: boolean | undefined;
  /** The stack output `customerGraphScopes` (Graph delegated scope names). */
  customerGraphScopes: readonly string[];
  /** `--customer` ids (customer tenant ids). */
  customers?: readonly string[];
  /** `--all`: every customer from `GET /v1/customers`. */
  all?: boolean;
  /** With `all`: config customerInclude (tenant ids; empty = every customer) and customerExclude. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** Show what would be done; change nothing. */
  dryRun?: boolean;
  /** Replace an existing consent (DELETE, then POST). */
  replace?: boolean;
  /** Told each step and each customer's result as it happens. */
  progress?: { step(message: string): void };
  onResult?: (result: CustomerConsentResult) => void;
}

/** The consent body Partner Center takes. */
export function consentBody(clientId: string, scopes: readonly string[]): { applicationId: string; applicationGrants: Array<{ enterpriseApplicationId: string; scope: string }> } {
  return { applicationId: clientId, applicationGrants: [{ enterpriseApplicationId: MICROSOFT_GRAPH_APP_ID, scope: scopes.join(",") }] };
}

/**
 * Consents the app in each customer and resolves with one result per customer.
 * Throws a UsageError (exit 2) before any call when the stack is not
 * multi-tenant, has no customer scopes, or no customer was named; rethrows an
 * error that would fail every customer alike (MFA, unreachable, sign-in).
 */
export async function runConsent(options: ConsentOptions): Promise<CustomerConsentResult[]> {
  if (options.multiTenant !== true) {
    throw catalogError("multi_tenant_off", {
      message:
        options.multiTenant === undefined
        ? "The stack outputs have no multiTenant: this stack was deployed before customer tenants were supported, so the app is single-tenant and cannot be consented into customer tenants."
          : "The stack's multiTenant is false: the app is single-tenant (AzureADMyOrg), and customer tenants accept only multi-tenant apps.",
      hint: "Set it with `pulumi config set multiTenant true` (and customerGraphScopes), run `pulumi up`, then run consent again.",
    });
  }
  if (options.customerGraphScopes.length === 0) {
    throw catalogError("no_customer_scopes", {
      message: "The stack's customerGraphScopes is empty (or not exported): there are no permissions to consent to in customer tenants.",
      hint: "Set them, e.g. `pulumi config set --path 'customerGraphScopes[0]' User.Read.All`, run `pulumi up`, then run consent again.",
    });
  }
  const named = [...new Set((options.customers ?? []).map((c) => c.trim().toLowerCase()))];
  if (options.all && named.length > 0) throw catalogError("invalid_options", { message: "--all and --customer are alternatives: pass one of them." });
  if (!options.all && named.length === 0) throw catalogError("invalid_options", { message: "Name the customers with --customer ID (repeatable), or pass --all for every customer." });
  const bad = named.filter((c): boolean => !isGuid(c));
  if (bad.length) throw catalogError("invalid_options", { message: `--customer takes a customer tenant id (a GUID), got ${bad.map((b) => JSON.stringify(b.slice(0, 80))).join(", ")}.` });

  const { client } = options;
  let customers = named;
  if (options.all) {
    options.progress?.step(`Listing customers (GET ${client.partnerCenterEndpoint}/v1/customers, every page)`);
    const { body } = await client.call({ target: "/v1/customers", all: true });
    const items = (body as { items?: Array<{ id?: unknown; companyProfile?: { tenantId?: unknown } }> } | undefined)?.items ?? [];
    customers = items.map((c) => c.companyProfile?.tenantId ?? c.id).filter((id): id is string => typeof id === "string");
    const include = new Set((options.include ?? []).map((id) => id.toLowerCase()));
    const exclude = new Set((options.exclude ?? []).map((id) => id.toLowerCase()));
    customers = customers.filter((id) => (include.size === 0 || include.has(id.toLowerCase())) && !exclude.has(id.toLowerCase()));
    options.progress?.step(`${customers.length} customer${customers.length === 1 ? "" : "s"} found.`);
  }

  const body = JSON.stringify(consentBody(options.clientId, options.customerGraphScopes));
  const results: CustomerConsentResult[] = [];
  for (const customer of customers) {
    const path = `/v1/customers/${encodeURIComponent(customer)}/applicationconsents`;
    let result: CustomerConsentResult;
    if (options.dryRun) {
      result = { customer, outcome: "planned" };
    } else {
      result = await consentOne(client, customer, path, options.clientId, body, options.replace === true);
    }
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

/** True when Partner Center answered a consent POST with "this consent already exists" (by text or by 409). */
export function isExistingConsent(error: unknown): boolean {
  if (!(error instanceof ApiCallError)) return false;
  const status = error.answer.status;
  if (status === 409) return true;
  const text = `${error.description ?? ""} ${error.answer.text}`;
  return status >= 400 && status < 500 && /permission entry already exists/i.test(text);
}

async function consentOne(client: ApiClient, customer: string, path: string, clientId: string, body: string, replace: boolean): Promise<CustomerConsentResult> {
  try {
    try {
      await client.call({ method: "POST", target: path, body });
      noteConsent(customer);
      return { customer, outcome: "consented" };
    } catch (error) {
      if (!isExistingConsent(error)) throw error;
      if (!replace) return { customer, outcome: "exists" };
    }
    await client.call({ method: "DELETE", target: `${path}/${encodeURIComponent(clientId)}` });
    await client.call({ method: "POST", target: path, body });
    noteConsent(customer);
    return { customer, outcome: "replaced" };
  } catch (error) {
    if (error instanceof ApiCallError) {
      return {
        customer,
        outcome: "failed",
        status: error.answer.status,
        message: `HTTP ${error.answer.status}${error.serviceCode ? ` ${error.serviceCode}` : ""}${error.description ? `: ${error.description}` : ""}`,
        requestId: error.answer.requestId,
        correlationId: error.answer.correlationId,
      };
    }
    // MFA (exit 3), an unreachable service, a deadline: every other customer would fail the same way.
    throw error;
  }
}
