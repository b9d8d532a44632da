/** Small fixtures shared by the unit tests (no network, no stand-ins). */
import { Writable } from "node:stream";

/** A writable stream that keeps everything written to it, for checking a Reporter's output. */
export class CaptureStream extends Writable {
  text = "";

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export const TENANT_ID = "11111111-2222-4333-8444-555555555555";
export const CLIENT_ID = "66666666-7777-4888-9999-aaaaaaaaaaaa";

/** A complete, valid `pulumi stack output --json --show-secrets` document (a fresh copy each call). */
export function validStackOutputs(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    redirectUri: "http://localhost:8400/",
    keyVaultUri: "https://kv-pcsam-test.vault.azure.net/",
    secretNames: {
      clientId: "pc-client-id",
      clientSecret: "pc-client-secret",
      tenantId: "pc-tenant-id",
      refreshToken: "pc-refresh-token",
    },
    scopes: ["https://api.partnercenter.microsoft.com/user_impersonation", "offline_access"],
    authorityHost: "https://login.microsoftonline.com",
    partnerCenterEndpoint: "https://api.partnercenter.microsoft.com",
    adminConsentUrl: `https://login.microsoftonline.com/${TENANT_ID}/adminconsent?client_id=${CLIENT_ID}`,
  };
}

/** Whether a promise has settled yet, without waiting for it to settle. */
export async function settlement(promise: Promise<unknown>): Promise<"resolved" | "rejected" | "pending"> {
  const pending = new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")));
  return Promise.race([
    promise.then(
      () => "resolved" as const,
      () => "rejected" as const,
    ),
    pending,
  ]);
}
