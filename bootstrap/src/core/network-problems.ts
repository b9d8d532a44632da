/**
 * The two network failures whose fix is on this machine, not in the service:
 * a host name that does not resolve, and a certificate the machine does not
 * trust. Both are the usual mistakes with the emulator (its `export` lines not
 * run in this shell: no `*.localhost` resolver in NODE_OPTIONS, no
 * NODE_EXTRA_CA_CERTS) and the second one also the usual one behind a corporate
 * TLS-inspecting proxy. Each gets its own catalogue code and fix, for every
 * service (Key Vault, Entra ID, Partner Center, the API).
 */
import { catalogError } from "./error-catalogue";
import type { SamError } from "./errors";

/** What went wrong on the way to a host. */
export interface NetworkProblem {
  kind: "unresolved" | "untrusted";
  /** Node's error code, e.g. ENOTFOUND or SELF_SIGNED_CERT_IN_CHAIN. */
  code: string;
}

/** getaddrinfo's answers for a name that does not resolve (now, or at all). */
const UNRESOLVED = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"]);

/** OpenSSL's verification codes, as Node reports them, for a chain this machine does not trust. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);

/** The problem behind `error` (looked for along its `cause` chain), or undefined for any other failure. */
export function networkProblem(error: unknown): NetworkProblem | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (UNRESOLVED.has(code)) return { kind: "unresolved", code };
    if (UNTRUSTED.has(code)) return { kind: "untrusted", code };
  }
  return undefined;
}

/** Where the failed request went, for the message. */
export interface NetworkProblemContext {
  /** "Key Vault", "Entra ID", "Partner Center"… */
  service: string;
  /** The URL (or host) asked for. */
  url: string;
  cause?: unknown;
}

/** The emulator's hosts: `localhost` and its `*.localhost` names (the vault's). */
function isLocalhostName(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** The catalogue error for `problem` on the way to `context.service`. */
export function networkProblemError(problem: NetworkProblem, context: NetworkProblemContext): SamError {
  const host = hostOf(context.url);
  const emulator = isLocalhostName(host);
  if (problem.kind === "unresolved") {
    return catalogError("host_not_resolved", {
      message: `${context.service} host ${host} does not resolve (${problem.code}).`,
      cause: context.cause,
      hint: emulator
        ? "This is the emulator's name: run the environment lines `partner-center-sam emulator` printed (`export …` in bash/zsh, `$env:… = …` in PowerShell) in this shell — NODE_OPTIONS loads its *.localhost resolver — then run the command again."
        : `Check the name (the stack's outputs or the option that names ${host}), DNS and any proxy; a vault behind a private endpoint needs its private DNS zone on this network.`,
    });
  }
  return catalogError("certificate_untrusted", {
    message: `${context.service} at ${host} presented a certificate this machine does not trust (${problem.code}).`,
    cause: context.cause,
    hint: emulator
      ? "Set NODE_EXTRA_CA_CERTS to the emulator's CA file: run the environment lines `partner-center-sam emulator` printed (`export …` or `$env:… = …`) in this shell, then run the command again."
      : "Behind a TLS-inspecting (corporate) proxy, set NODE_EXTRA_CA_CERTS to a PEM file with the proxy's root certificate and run the command again; never turn certificate checks off.",
  });
}
