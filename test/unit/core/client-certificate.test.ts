import { X509Certificate, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseClientCertificate } from "../../../bootstrap/src/core/client-certificate";
import { createClientCertificate } from "../../../emulator/certificates";

const made = createClientCertificate({ notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2026-07-01T00:00:00Z") });
const other = createClientCertificate();

describe("parseClientCertificate", () => {
  it("reads the PEM key and certificate the vault holds, with the SHA-256 thumbprint and validity", () => {
    const parsed = parseClientCertificate(made.pem, "partnercenter-client-certificate");
    expect(parsed.thumbprintSha256).toBe(made.thumbprintSha256);
    expect(parsed.thumbprintSha256).toBe(new X509Certificate(made.certificatePem).fingerprint256.replace(/:/g, "").toLowerCase());
    expect([parsed.notBefore.toISOString(), parsed.notAfter.toISOString()]).toEqual(["2026-01-01T00:00:00.000Z", "2026-07-01T00:00:00.000Z"]);
    expect(parsed.privateKey.startsWith("-----BEGIN PRIVATE KEY-----")).toBe(true);
  });

  it("accepts the certificate first and a PKCS#1 key, converting the key to PKCS#8 as msal-node wants", () => {
    const pkcs1 = createPrivateKey(made.privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
    const parsed = parseClientCertificate(`${made.certificatePem}\r\n${pkcs1}`, "x");
    expect(parsed.privateKey).toBe(made.privateKeyPem);
  });

  it("refuses a key that does not belong to the certificate, a missing part or an encrypted key, naming the secret and never its content", () => {
    const cases: Array<[string, RegExp]> = [
      [`${other.privateKeyPem}${made.certificatePem}`, /does not belong to its certificate/],
      [made.certificatePem, /no PEM private key/],
      [made.privateKeyPem, /no PEM certificate/],
      ["-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", /encrypted private key/],
    ];
    for (const [pem, why] of cases) {
      let error: { code?: string; message: string; hint?: string } | undefined;
      try {
        parseClientCertificate(pem, "partnercenter-client-certificate");
      } catch (caught) {
        error = caught as typeof error;
      }
      expect(error?.code).toBe("client_certificate_invalid");
      expect(error?.message).toMatch(why);
      expect(error?.message).toContain('"partnercenter-client-certificate"');
      expect(error?.message).not.toContain("BEGIN");
      expect(error?.hint).toMatch(/pulumi up/);
    }
  });
});
