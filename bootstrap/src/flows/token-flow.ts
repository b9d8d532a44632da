import type { TokenCredential } from "@azure/core-auth";
import { PUBLIC_GRAPH_ENDPOINT, partnerCenterScope } from "../core/contract";
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import { withDeadline } from "./flow-deadline";
import { CancelledError, TimeoutError } from "../core/retry";
import type { Progress } from "../core/progress";
import { createTokenProvider, type AccessTokenInfo, type TokenProvider } from "../entra/token-provider";
import type { WriteBack } from "../entra/refresh-token-rotator";
import { resolveTarget, type TargetSource, type VaultTarget } from "../vault/vault-target";

/** `--scope` aliases. */
export const SCOPE_ALIASES = Object.freeze({
  /** In the public cloud; resolved against the Graph endpoint in use (`--graph-endpoint`, the stack's `graphEndpoint`). */
  graph: `${PUBLIC_GRAPH_ENDPOINT}/.default`,
  /** Resolved against the Partner Center endpoint in use. */
  "partner-center": "partner-center",
});

/** Options for {@link runToken}. */
export interface TokenFlowOptions {
  source: TargetSource;
  /** Scopes or aliases (`graph`, `partner-center`); default Partner Center's user_impersonation. */
  scopes?: string[];
  /** A customer tenant (id or verified domain); default the partner's own. */
  tenantId?: string;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms). */
  accessWaitMs: number;
  /** The overall deadline, on top of `accessWaitMs` (ms). */
  timeoutMs: number;
  /** Credential for Key Vault; defaults to DefaultAzureCredential. */
  credential?: TokenCredential;
  progress: Progress;
  signal?: AbortSignal;
  /** `shared`: serve and keep the access token in the user's token cache; default `memory` (this process only). */
  cache?: "shared" | "memory";
  /** When to write the rotated refresh token back; default `daily`. */
  writeBack?: WriteBack;
}

/** `token --json`: the access token and what it is for. */
export interface TokenResult {
  accessToken: string;
  tokenType: "Bearer";
  /** ISO 8601. */
  expiresOn: string;
  tenantId: string;
  scopes: string[];
}

/** Replaces the `--scope` aliases by the scopes they stand for, for the endpoints in use. */
export function expandScopes(scopes: readonly string[], partnerCenterEndpoint: string, graphEndpoint: string = PUBLIC_GRAPH_ENDPOINT): string[] {
  return scopes.map((s) => (s === "partner-center" ? partnerCenterScope(partnerCenterEndpoint) : s === "graph" ? `${graphEndpoint.replace(/\/+$/, "")}/.default` : s));
}

/**
 * The token provider the commands use for a resolved target: the vault's
 * credential, the target's endpoints, and a failed write-back reported as a
 * warning (the access token is still served).
 */
export function openTokenProvider(
  where: VaultTarget,
  options: { credential?: TokenCredential; accessWaitMs: number; progress: Progress; cache?: "shared" | "memory"; writeBack?: WriteBack },
): TokenProvider {
  return createTokenProvider({
    keyVaultUri: where.keyVaultUri,
    secretNames: where.secretNames,
    credential: options.credential,
    authorityHost: where.authorityHost,
    partnerCenterEndpoint: where.partnerCenterEndpoint,
    graphEndpoint: where.graphEndpoint,
    accessWaitMs: options.accessWaitMs,
    cache: options.cache,
    writeBack: options.writeBack,
    onCacheWarning: (message) => options.progress.warn(message),
    onStoreFailure: (error) => options.progress.warn(`${error.message}${error instanceof SamError && error.hint ? ` Next: ${error.hint}` : ""}`),
  });
}

/**
 * Redeems the stored refresh token for an access token (writing the rotated
 * refresh token back when the redemption is in the partner's own tenant) through
 * the token provider, and returns the token. The token is registered with
 * `progress.protect` so only the caller's deliberate output shows it.
 */
export async function runToken(options: TokenFlowOptions): Promise<TokenResult> {
  const { progress } = options;
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const where = await resolveTarget(options.source);
    const provider = openTokenProvider(where, options);
    const scopes = options.scopes?.length ? expandScopes(options.scopes, where.partnerCenterEndpoint, where.graphEndpoint) : undefined;
    progress.step(`Redeeming the refresh token stored in ${where.keyVaultUri}${options.tenantId ? ` for tenant ${options.tenantId}` : ""}`);
    // The provider stops the redemption when the deadline or a signal aborts it; untilAborted words the error for this command.
    const token = await untilAborted(provider.getToken({ scopes, tenantId: options.tenantId, signal: deadline.signal }), deadline.signal).catch((error: unknown) => {
      throw error instanceof TypeError ? catalogError("invalid_token_request", { detail: error.message.replace(/^\w+: /, "") }) : error;
    });
    progress.protect(token.accessToken);
    progress.step(`Got an access token for ${token.scopes.join(" ")} (tenant ${token.tenantId}), valid until ${token.expiresOn.toISOString()}.`);
    return toResult(token);
  });
}

function toResult(token: AccessTokenInfo): TokenResult {
  return { accessToken: token.accessToken, tokenType: "Bearer", expiresOn: token.expiresOn.toISOString(), tenantId: token.tenantId, scopes: token.scopes };
}

/** Rejects with this command's error for the signal's reason once it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal.reason));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** What an aborted token request reports: the deadline, or the signal that cancelled it. */
function abortError(reason: unknown): unknown {
  if (reason instanceof TimeoutError) return catalogError("token_timeout", { detail: reason.message });
  if (reason instanceof CancelledError) {
    return catalogError("cancelled", {
      signal: reason.signalName,
      message: `Cancelled by ${reason.signalName} before an access token was printed. The stored refresh token stays valid (if the redemption had already finished, its rotated token may have been stored).`,
      hint: "Run the command again.",
    });
  }
  return reason;
}
