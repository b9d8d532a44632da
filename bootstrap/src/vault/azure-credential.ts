import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { azureIdentity } from "./azure-sdk";
import { DEFAULT_REQUEST_TIMEOUT_MS, TimeoutError } from "../core/retry";

/**
 * The credential used for Key Vault when none is injected: DefaultAzureCredential,
 * which honours AZURE_TOKEN_CREDENTIALS (e.g. `AzureCliCredential`, `ManagedIdentityCredential`)
 * and the usual AZURE_* environment variables.
 */
export function defaultCredential(): TokenCredential {
  return new (azureIdentity().DefaultAzureCredential)();
}

/** How a timeout of the Azure credential names its subject (see {@link withTokenTimeout}). */
export const CREDENTIAL_TIMEOUT_SUBJECT = "Azure credential";

/**
 * Wraps a credential so that one `getToken` call gives up after `timeoutMs`
 * (or when the caller's abortSignal fires), with a message naming what hung.
 * A credential that never answers (a dead IMDS endpoint, an `az` that waits
 * for input) can then not hold a command past its deadline.
 */
export function withTokenTimeout(credential: TokenCredential, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): TokenCredential {
  return {
    getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      const controller = new AbortController();
      const outer = options.abortSignal;
      const who = `${CREDENTIAL_TIMEOUT_SUBJECT} (getting a token for ${[scopes].flat().join(" ")})`;
      const timer = setTimeout(() => controller.abort(new TimeoutError(`no token within ${Math.round(timeoutMs / 1000)} s`, "request", who)), timeoutMs);
      timer.unref();
      // A deadline that passes while the credential works is the credential's timeout: say so.
      const onOuterAbort = () => {
        const reason: unknown = (outer as AbortSignal | undefined)?.reason;
        controller.abort(reason instanceof TimeoutError ? new TimeoutError(reason.reason, reason.kind, who) : reason);
      };
      if (outer?.aborted) onOuterAbort();
      else outer?.addEventListener("abort", onOuterAbort, { once: true });
      const aborted = new Promise<never>((_resolve, reject) => {
        const fail = () => reject(controller.signal.reason instanceof Error ? controller.signal.reason : new TimeoutError("getting an Azure token was cancelled", "request"));
        if (controller.signal.aborted) fail();
        else controller.signal.addEventListener("abort", fail, { once: true });
      });
      return Promise.race([credential.getToken(scopes, { ...options, abortSignal: controller.signal }), aborted]).finally(() => {
        clearTimeout(timer);
        outer?.removeEventListener("abort", onOuterAbort);
      });
    },
  };
}
