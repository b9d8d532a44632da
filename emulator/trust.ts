/**
 * Trust for the emulator's CA inside the current process, so that code which
 * talks to the emulated services in-process (the token provider, the Key Vault
 * SDK, MSAL, `fetch`) accepts their certificates with no other setup. Child
 * processes get `NODE_EXTRA_CA_CERTS` instead (see the emulator's `env`).
 *
 * Node ≥ 22.19 / 24.5 has `tls.setDefaultCACertificates`; on older versions the
 * CA is added to every secure context made without an explicit `ca` (what
 * NODE_EXTRA_CA_CERTS does at start-up). Both are undone by the returned function.
 */
import tls from "node:tls";

type CreateSecureContext = typeof tls.createSecureContext;
interface TlsWithDefaults {
  getCACertificates?: (type?: "default" | "system" | "bundled" | "extra") => string[];
  setDefaultCACertificates?: (certs: string[]) => void;
}

const api = tls as unknown as TlsWithDefaults;
const hasDefaultsApi = typeof api.setDefaultCACertificates === "function" && typeof api.getCACertificates === "function";
/** CAs trusted through this module, with how many emulators asked for each. */
const trusted = new Map<string, number>();
let baseDefaults: string[] | undefined;
let original: CreateSecureContext | undefined;

function apply(): void {
  const extra = [...trusted.keys()];
  if (hasDefaultsApi) {
    baseDefaults ??= api.getCACertificates?.("default") ?? [];
    api.setDefaultCACertificates?.([...baseDefaults, ...extra]);
    if (!extra.length) baseDefaults = undefined;
    return;
  }
  if (extra.length && !original) {
    const unpatched = tls.createSecureContext;
    original = unpatched;
    tls.createSecureContext = (options) => {
      const context = unpatched(options);
      if (!options?.ca) for (const pem of trusted.keys()) (context.context as { addCACert(pem: string): void }).addCACert(pem);
      return context;
    };
  } else if (!extra.length && original) {
    tls.createSecureContext = original;
    original = undefined;
  }
}

/** Makes this process trust `caPem` for TLS; returns the function that takes the trust back. */
export function trustCertificateInProcess(caPem: string): () => void {
  trusted.set(caPem, (trusted.get(caPem) ?? 0) + 1);
  apply();
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    const left = (trusted.get(caPem) ?? 1) - 1;
    if (left > 0) trusted.set(caPem, left);
    else trusted.delete(caPem);
    apply();
  };
}
