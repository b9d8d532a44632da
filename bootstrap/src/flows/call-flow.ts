/**
 * The library flows behind `partner-center-sam call` and `consent`: find the
 * vault and the endpoints, build an {@link ApiClient} whose tokens come from the
 * token provider, and run the request (or the consents) under one deadline.
 */
import type { TokenCredential } from "@azure/core-auth";
import { ApiClient, type HttpMethod } from "../partner-center/api-client";
import { runConsent, type CustomerConsentResult } from "./consent-flow";
import { catalogError } from "../core/error-catalogue";
import { withDeadline } from "./flow-deadline";
import type { Progress } from "../core/progress";
import type { Deadline } from "../core/retry";
import { expandScopes, openTokenProvider } from "./token-flow";
import type { WriteBack } from "../entra/refresh-token-rotator";
import { describeSource, resolveTarget, type TargetSource, type VaultTarget } from "../vault/vault-target";

/** What every API flow needs besides its own input. */
export interface ApiFlowOptions {
  source: TargetSource;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms). */
  accessWaitMs: number;
  /** The overall deadline, on top of `accessWaitMs` (ms). */
  timeoutMs: number;
  /** Credential for Key Vault; defaults to DefaultAzureCredential. */
  credential?: TokenCredential;
  progress: Progress;
  signal?: AbortSignal;
  /** `shared`: serve and keep access tokens in the user's token cache; default `memory`. */
  cache?: "shared" | "memory";
  /** When to write the rotated refresh token back; default `daily`. */
  writeBack?: WriteBack;
}

/** Options of {@link runCall}. */
export interface CallFlowOptions extends ApiFlowOptions {
  /** A path starting with / (Partner Center) or an https URL. */
  target: string;
  method: HttpMethod;
  body?: string;
  headers?: Record<string, string>;
  /** Follow every next page and merge the items. */
  all?: boolean;
  /** A customer tenant (id or verified domain) to get the token in. */
  tenantId?: string;
  /** Scopes or aliases (`graph`, `partner-center`); default inferred from the host. */
  scopes?: string[];
}

/** What `call` prints: the body (parsed JSON, text, or undefined when empty). */
export interface CallResult {
  body: unknown;
  status: number;
  pages: number;
  requestId: string;
  correlationId: string;
}

/** An ApiClient for a resolved target whose tokens come from a token provider reading the vault. */
export function openApiClient(where: VaultTarget, options: ApiFlowOptions, deadline: Deadline): ApiClient {
  const { progress } = options;
  const provider = openTokenProvider(where, options);
  return new ApiClient({
    partnerCenterEndpoint: where.partnerCenterEndpoint,
    graphEndpoint: where.graphEndpoint,
    deadline,
    onRetry: (message) => progress.note(message),
    getToken: async ({ scopes, tenantId, forceRefresh }) => {
      const token = await untilAborted(provider.getAccessToken({ scopes, tenantId, forceRefresh }), deadline.signal);
      progress.protect(token);
      return token;
    },
  });
}

/** Runs one `call`: the request (every page with `all`) and its body. Non-2xx answers throw ApiCallError (exit 1). */
export async function runCall(options: CallFlowOptions): Promise<CallResult> {
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    options.progress.step(describeSource(options.source));
    const where = await resolveTarget(options.source);
    const client = openApiClient(where, options, deadline);
    const scopes = options.scopes?.length ? expandScopes(options.scopes, where.partnerCenterEndpoint, where.graphEndpoint) : undefined;
    // Checked before the vault is read: an unknown host without --scope never gets near a token.
    const resolved = client.resolve(options.target, scopes);
    options.progress.step(`${options.method} ${resolved.url.host}${resolved.url.pathname}${options.tenantId ? ` as tenant ${options.tenantId}` : ""}${options.all ? ", every page" : ""}`);
    const { body, answer, pages } = await client.call({ target: options.target, method: options.method, body: options.body, headers: options.headers, scopes, tenantId: options.tenantId, all: options.all });
    return { body, status: answer.status, pages, requestId: answer.requestId, correlationId: answer.correlationId };
  });
}

/** Options of {@link runConsentFromStack}. */
export interface ConsentFlowOptions extends ApiFlowOptions {
  customers?: string[];
  all?: boolean;
  dryRun?: boolean;
  replace?: boolean;
  onResult?: (result: CustomerConsentResult) => void;
}

/** Reads the stack outputs (client id, multiTenant, customerGraphScopes) and runs {@link runConsent}. */
export async function runConsentFromStack(options: ConsentFlowOptions): Promise<CustomerConsentResult[]> {
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    options.progress.step(describeSource(options.source));
    const where = await resolveTarget(options.source);
    if (!where.outputs) {
      throw catalogError("invalid_options", { message: "consent needs the stack outputs (clientId, multiTenant, customerGraphScopes): pass --stack or --outputs, not --vault-uri." });
    }
    const { outputs } = where;
    return runConsent({
      client: openApiClient(where, options, deadline),
      clientId: outputs.clientId,
      multiTenant: outputs.multiTenant,
      customerGraphScopes: outputs.customerGraphScopes ?? [],
      customers: options.customers,
      all: options.all,
      include: outputs.customerInclude,
      exclude: outputs.customerExclude,
      dryRun: options.dryRun,
      replace: options.replace,
      progress: options.progress,
      onResult: options.onResult,
    });
  });
}

/** Rejects with the signal's reason once it aborts (the provider takes no signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
