/**
 * Entra ID's refusals of the app's own credential when it is a certificate: the
 * client assertion's key is unknown to the app or expired (AADSTS700027), or the
 * assertion is outside its time window because this machine's clock is off
 * (AADSTS700024). Sources, for the codes and texts: MicrosoftDocs entra-docs
 * `reference-error-codes.md` and `certificate-credentials.md`; answers quoted in
 * AzureAD/microsoft-authentication-library-for-js#8339 (700027, "The key was not
 * found"), microsoft/azure-tools-for-java#2785 (700027, "The key used is expired")
 * and AzureAD/microsoft-authentication-library-for-dotnet#4951 (700024).
 */
import { catalogError } from "../core/error-catalogue";
import type { SamError } from "../core/errors";
import type { AppCredentials } from "../vault/vault-store";

/** Which credential a request to Entra ID carried: what the error messages name. */
export type UsedCredential = { kind: "certificate"; thumbprintSha256: string; notAfter: Date } | { kind: "secret" };

/** The credential the app authenticates with: the certificate when the vault holds one. */
export function usedCredential(credentials: AppCredentials): UsedCredential {
  const certificate = credentials.clientCertificate;
  return certificate ? { kind: "certificate", thumbprintSha256: certificate.thumbprintSha256, notAfter: certificate.notAfter } : { kind: "secret" };
}

/** The secret value a command must keep off screen: the client secret or the certificate's private key. */
export function credentialSecret(credentials: AppCredentials): string {
  return credentials.clientSecret ?? credentials.clientCertificate?.privateKey ?? "";
}

/** Names the credential in a message: "the certificate (SHA-256 thumbprint …, valid until …)" or "the client secret". */
export function describeCredential(credential: UsedCredential): string {
  return credential.kind === "certificate"
    ? `the certificate from the vault (SHA-256 thumbprint ${credential.thumbprintSha256}, valid until ${credential.notAfter.toISOString()})`
    : "the client secret from the vault";
}

/**
 * The error for a refusal of the app's certificate, or undefined when the code
 * is not about the certificate (or the request carried a client secret). The
 * AADSTS number decides; whether the certificate has expired is read from the
 * certificate itself, not from Entra's description.
 */
export function explainCertificateError(
  aadsts: string | undefined,
  credential: UsedCredential | undefined,
  opts: { aadsts?: string; cause: unknown },
  now: Date = new Date(),
): SamError | undefined {
  if (credential?.kind !== "certificate") return undefined;
  const used = describeCredential(credential);
  if (aadsts === "700027") {
    if (credential.notAfter.getTime() <= now.getTime()) {
      return catalogError("client_certificate_expired", {
        message: `Entra ID refused ${used}: it expired on ${credential.notAfter.toISOString()} (AADSTS700027).`,
        ...opts,
        hint: "Run `pulumi up`: the stack rotates the certificate into the app registration and the vault (the rotation timer advances on refresh); then run the command again.",
      });
    }
    return catalogError("client_certificate_unknown", {
      message: `Entra ID does not accept ${used} for this app (AADSTS700027): the app registration does not have it, or a newer one replaced it.`,
      ...opts,
      hint: "Run `pulumi up` so the app registration and the vault hold the same current certificate (a certificate registered a moment ago can take a minute to replicate), then run the command again.",
    });
  }
  if (aadsts === "700024") {
    return catalogError("clock_skew", {
      message: `Entra ID refused the client assertion signed with ${used}: it is not within its valid time range (AADSTS700024). The assertion is stamped with this machine's clock (now ${now.toISOString()}), which is off by minutes or more.`,
      ...opts,
      hint: "Set this machine's clock right (enable NTP time sync: `timedatectl set-ntp true`, or Windows' 'Set time automatically'), then run the command again.",
    });
  }
  return undefined;
}
