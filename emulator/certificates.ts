/**
 * The emulator's own certificate authority: made in memory at start, valid for
 * two days, and used only to sign one server certificate for the loopback
 * names the emulated services listen on. Keys come from node:crypto; the
 * X.509 encoding and signing from node-forge, so no `openssl` binary is needed.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

/** PEM key and certificate for the HTTPS servers, and the CA certificate that clients trust. */
export interface EmulatorTls {
  /** The server certificate's private key (PKCS#8 PEM). */
  key: string;
  /** The server certificate (PEM), signed by {@link ca}. */
  cert: string;
  /** The CA certificate (PEM): what `NODE_EXTRA_CA_CERTS` or a browser must trust. */
  ca: string;
}

/**
 * Host names the server certificate is valid for. `*.vault.localhost` covers
 * vault URIs shaped like the real ones (`https://<name>.vault.localhost:<port>/`),
 * which the Key Vault SDK needs to pass its challenge-resource check.
 */
export const CERTIFICATE_DNS_NAMES: readonly string[] = ["localhost", "vault.localhost", "*.vault.localhost"];
/** IP addresses the server certificate is valid for. */
export const CERTIFICATE_IPS: readonly string[] = ["127.0.0.1", "::1"];

const VALID_DAYS = 2;

function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

/**
 * A certificate serial: 16 random bytes, positive (high bit clear) as RFC 5280
 * asks, and with a first byte that is not zero. node-forge writes the bytes as
 * the DER INTEGER as they are, and a leading zero byte before one under 0x80 is
 * padding DER forbids: OpenSSL then refuses the certificate ("illegal padding"),
 * which made one certificate in 256 unreadable.
 */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString("hex");
}

function validity(cert: forge.pki.Certificate): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + VALID_DAYS * 24 * 3600 * 1000);
}

/** Makes a new CA and a server certificate for {@link CERTIFICATE_DNS_NAMES} and {@link CERTIFICATE_IPS}. */
export function createEmulatorTls(commonName = "partner-center-sam emulator CA"): EmulatorTls {
  const caKeys = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serialNumber();
  validity(ca);
  const caSubject = [{ name: "commonName", value: commonName }];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true, pathLenConstraint: 0 },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = rsaKeyPair();
  const server = forge.pki.createCertificate();
  server.publicKey = serverKeys.publicKey;
  server.serialNumber = serialNumber();
  validity(server);
  server.setSubject([{ name: "commonName", value: "localhost" }]);
  server.setIssuer(caSubject);
  server.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [...CERTIFICATE_DNS_NAMES.map((value) => ({ type: 2, value })), ...CERTIFICATE_IPS.map((ip) => ({ type: 7, ip }))],
    },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return { key: serverKeys.pem, cert: forge.pki.certificateToPem(server), ca: forge.pki.certificateToPem(ca) };
}

/** An app certificate as the stack makes it: an RSA key and a self-signed certificate, and what the vault stores. */
export interface ClientCertificateMaterial {
  /** The private key (PKCS#8 PEM). */
  privateKeyPem: string;
  /** The certificate (PEM), what the app registration holds. */
  certificatePem: string;
  /** Key followed by certificate: the vault secret's value (`application/x-pem-file`). */
  pem: string;
  /** SHA-256 thumbprint, lower-case hex. */
  thumbprintSha256: string;
  notBefore: Date;
  notAfter: Date;
}

/** Options of {@link createClientCertificate}. */
export interface ClientCertificateOptions {
  /** Default `Partner Center SAM`. */
  commonName?: string;
  /** Default: a minute ago. */
  notBefore?: Date;
  /** Default: 180 days from now (150 days of rotation plus 30 of grace, the stack's default). */
  notAfter?: Date;
}

/**
 * Makes an app certificate like the stack's `tls.SelfSignedCert` (RSA 3072,
 * `digitalSignature` key usage), with node:crypto for the key and node-forge
 * for the X.509 encoding.
 */
export function createClientCertificate(options: ClientCertificateOptions = {}): ClientCertificateMaterial {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  cert.serialNumber = serialNumber();
  // X.509 validity has whole seconds (as has Key Vault's `expires`).
  const seconds = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);
  cert.validity.notBefore = seconds(options.notBefore ?? new Date(Date.now() - 60_000));
  cert.validity.notAfter = seconds(options.notAfter ?? new Date(Date.now() + 180 * 24 * 3600 * 1000));
  const subject = [{ name: "commonName", value: options.commonName ?? "Partner Center SAM" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: "keyUsage", digitalSignature: true, critical: true }]);
  cert.sign(forgeKey, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return {
    privateKeyPem,
    certificatePem,
    pem: `${privateKeyPem}${certificatePem}`,
    thumbprintSha256: createHash("sha256").update(der).digest("hex"),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}
