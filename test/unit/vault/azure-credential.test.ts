/** withTokenTimeout: a credential that never answers cannot hold a command. */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { describe, expect, it } from "vitest";
import { CREDENTIAL_TIMEOUT_SUBJECT, withTokenTimeout } from "../../../bootstrap/src/vault/azure-credential";
import { CancelledError, TimeoutError } from "../../../bootstrap/src/core/retry";

const never: TokenCredential = { getToken: () => new Promise<AccessToken | null>(() => undefined) };

describe("withTokenTimeout", () => {
  it("passes a token through unchanged", async () => {
    const token = { token: "t", expiresOnTimestamp: 1 };
    await expect(withTokenTimeout({ getToken: async () => token }, 1000).getToken("https://vault.azure.net/.default")).resolves.toBe(token);
  });

  it("rejects with a TimeoutError naming the Azure credential and the scope when no token comes in time", async () => {
    const error = await withTokenTimeout(never, 10).getToken("https://vault.azure.net/.default").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ kind: "request", what: `${CREDENTIAL_TIMEOUT_SUBJECT} (getting a token for https://vault.azure.net/.default)` });
  });

  it("rejects when the caller's signal aborts, keeping a cancellation as it is and naming itself in a deadline", async () => {
    const cancel = new AbortController();
    const cancelled = withTokenTimeout(never, 60_000).getToken("s", { abortSignal: cancel.signal }).catch((e: unknown) => e);
    cancel.abort(new CancelledError("SIGTERM"));
    expect(await cancelled).toBeInstanceOf(CancelledError);

    const deadline = new AbortController();
    const timedOut = withTokenTimeout(never, 60_000).getToken("s", { abortSignal: deadline.signal }).catch((e: unknown) => e);
    deadline.abort(new TimeoutError("the command's deadline of 3 s passed", "deadline"));
    expect(await timedOut).toMatchObject({ kind: "deadline", reason: "the command's deadline of 3 s passed", what: `${CREDENTIAL_TIMEOUT_SUBJECT} (getting a token for s)` });
  });

  it("hands the inner credential an abort signal, so it can stop its own request", async () => {
    let seen: AbortSignal | undefined;
    const spy: TokenCredential = {
      getToken: (_scopes, options) => {
        seen = options?.abortSignal as AbortSignal;
        return new Promise(() => undefined);
      },
    };
    await withTokenTimeout(spy, 10).getToken("s").catch(() => undefined);
    expect(seen?.aborted).toBe(true);
  });
});
