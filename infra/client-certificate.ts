import { X509Certificate } from "node:crypto";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** RSA key size of the app's certificate: above the 2048 bits Entra ID requires, as NIST SP 800-57 advises past 2030. */
export const CLIENT_CERTIFICATE_RSA_BITS = 3072;
/** Entra ID's type of a key credential holding an X.509 certificate's public key. */
export const KEY_CREDENTIAL_TYPE = "AsymmetricX509Cert";

/** Arguments of {@link ClientCertificate}. */
export interface ClientCertificateArgs {
  /** The app registration's resource id (`/applications/<objectId>`). */
  applicationId: pulumi.Input<string>;
  /** The certificate's subject common name (cut to the 64 characters X.509 allows). */
  displayName: string;
  /** The rotation timer's id: when it changes, key, certificate and key credential are replaced, new before old. */
  rotationId: pulumi.Input<string>;
  /** Days the certificate is valid: the rotation period plus the grace period. */
  validityDays: number;
  /** Days before its end at which the certificate renews itself if the timer has not fired: the grace period. */
  graceDays: number;
}

/**
 * The app's certificate credential: an RSA key and a self-signed certificate
 * made by Pulumi's `tls` provider, registered on the app as a key credential
 * with the certificate's own start and end dates. The key and certificate are
 * replaced when the rotation timer fires; each replacement creates the new
 * credential before the old one is deleted (`deleteBeforeReplace: false`), so
 * a client holding the old certificate keeps working until the vault has the new one.
 * Not a component: the resources sit under the app's component like the client secret did.
 */
export class ClientCertificate {
  /** The private key (PKCS#8 PEM) followed by the certificate (PEM): what the vault stores. A Pulumi secret. */
  readonly pem: pulumi.Output<string>;
  /** The certificate (PEM). */
  readonly certificatePem: pulumi.Output<string>;
  /** RFC 3339 start and end of the certificate (and of its key credential). */
  readonly startsAt: pulumi.Output<string>;
  readonly expiresAt: pulumi.Output<string>;
  /** SHA-256 thumbprint of the certificate (lower-case hex): what a client assertion's `x5t#S256` header names. */
  readonly thumbprintSha256: pulumi.Output<string>;
  /** The key credential on the app: the vault secret is written after it, so a stored certificate is always one Entra ID knows. */
  readonly registration: azuread.ApplicationCertificate;

  constructor(name: string, args: ClientCertificateArgs, opts: { parent: pulumi.Resource }) {
    const replaced = { parent: opts.parent, deleteBeforeReplace: false, replacementTrigger: args.rotationId };
    const key = new tls.PrivateKey(
      `${name}-key`,
      { algorithm: "RSA", rsaBits: CLIENT_CERTIFICATE_RSA_BITS },
      { ...replaced, additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] },
    );
    const certificate = new tls.SelfSignedCert(
      name,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: args.displayName.slice(0, 64) },
        validityPeriodHours: args.validityDays * 24,
        // Should the timer not fire (no refresh), the certificate renews itself when the grace period starts.
        earlyRenewalHours: args.graceDays * 24,
        allowedUses: ["digital_signature"],
      },
      replaced,
    );
    this.registration = new azuread.ApplicationCertificate(
      name,
      {
        applicationId: args.applicationId,
        type: KEY_CREDENTIAL_TYPE,
        encoding: "pem",
        value: certificate.certPem,
        // Entra ID refuses a key credential that outlives its certificate: the dates are the certificate's own.
        startDate: certificate.validityStartTime,
        endDate: certificate.validityEndTime,
      },
      { parent: opts.parent, deleteBeforeReplace: false },
    );
    this.certificatePem = certificate.certPem;
    this.startsAt = certificate.validityStartTime;
    this.expiresAt = certificate.validityEndTime;
    this.pem = pulumi.secret(pulumi.interpolate`${key.privateKeyPemPkcs8.apply(withNewline)}${certificate.certPem.apply(withNewline)}`);
    this.thumbprintSha256 = certificate.certPem.apply(thumbprintSha256);
  }
}

/** The SHA-256 thumbprint (lower-case hex, no colons) of a PEM certificate. */
export function thumbprintSha256(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256.replace(/:/g, "").toLowerCase();
}

function withNewline(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}
