/**
 * The app's certificate credential as the vault holds it (secret
 * `partnercenter-client-certificate`, content type `application/x-pem-file`):
 * the PEM private key followed by the PEM certificate. Parsed with node:crypto;
 * the key never leaves this object except to sign a client assertion.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { catalogError } from "./error-catalogue";
import { SamError } from "./errors";

/** A certificate credential ready for msal-node's `clientCertificate`. */
export interface ClientCertificate {
  /** The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as msal-node asks. */
  privateKey: string;
  /** The certificate, PEM. */
  certificate: string;
  /** SHA-256 thumbprint, lower-case hex: the assertion's `x5t#S256` header and what `status` shows. */
  thumbprintSha256: string;
  notBefore: Date;
  notAfter: Date;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * Reads the key and the certificate from a PEM bundle (in either order; a
 * PKCS#1 `RSA PRIVATE KEY` is accepted and converted to PKCS#8) and checks that
 * they belong together. The error names the secret, never its content.
 */
export function parseClientCertificate(pem: string, secretName: string): ClientCertificate {
  const blocks = [...pem.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1]!, text: match[0] }));
  const keyBlock = blocks.find((block) => block.label === "PRIVATE KEY" || block.label === "RSA PRIVATE KEY" || block.label === "EC PRIVATE KEY");
  const certBlock = blocks.find((block) => block.label === "CERTIFICATE");
  const invalid = (why: string) =>
    catalogError("client_certificate_invalid", {
      message: `The certificate secret "${secretName}" ${why}.`,
      hint: "Run `pulumi up` to write the stack's certificate (the PEM private key followed by the PEM certificate) to the vault again.",
    });
  if (blocks.some((block) => block.label === "ENCRYPTED PRIVATE KEY")) throw invalid("holds an encrypted private key, which the commands cannot use");
  if (!keyBlock) throw invalid("holds no PEM private key");
  if (!certBlock) throw invalid("holds no PEM certificate");
  let certificate: X509Certificate;
  let privateKey: string;
  try {
    certificate = new X509Certificate(certBlock.text);
  } catch {
    throw invalid("holds a certificate that cannot be read");
  }
  try {
    const key = createPrivateKey(keyBlock.text);
    if (!certificate.checkPrivateKey(key)) throw invalid("holds a private key that does not belong to its certificate");
    privateKey = key.export({ type: "pkcs8", format: "pem" }).toString();
  } catch (error) {
    if (error instanceof SamError) throw error;
    throw invalid("holds a private key that cannot be read");
  }
  return {
    privateKey,
    certificate: certBlock.text,
    thumbprintSha256: certificate.fingerprint256.replace(/:/g, "").toLowerCase(),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
  };
}
