/**
 * A throw-away certificate authority for the test run: one CA and one server
 * certificate for the loopback names the stand-ins listen on. Made with the
 * `openssl` CLI so no extra dependency is needed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Paths of the PEM files {@link createTestCa} writes. */
export interface TestCaFiles {
  /** The CA certificate; trust it with `NODE_EXTRA_CA_CERTS`. */
  caCert: string;
  /** The server certificate (signed by the CA). */
  cert: string;
  /** The server certificate's private key. */
  key: string;
}

/**
 * Host names the server certificate is valid for. `*.vault.localhost` covers
 * vault URIs shaped like the real ones (`https://<name>.vault.localhost:<port>/`),
 * which the Key Vault SDK needs to pass its challenge-resource check.
 */
export const TEST_CERT_DNS_NAMES: readonly string[] = ["localhost", "vault.localhost", "*.vault.localhost"];
/** IP addresses the server certificate is valid for. */
export const TEST_CERT_IPS: readonly string[] = ["127.0.0.1", "::1"];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed${stderr ? `: ${stderr}` : ""}`, { cause: err });
  }
}

/**
 * Creates a CA and a server certificate for `localhost`, `*.vault.localhost`,
 * `127.0.0.1` and `::1` in `dir` (created if missing). Keys are P-256, valid
 * for two days.
 */
export function createTestCa(dir: string): TestCaFiles {
  mkdirSync(dir, { recursive: true });
  const files: TestCaFiles = {
    caCert: path.join(dir, "ca.pem"),
    cert: path.join(dir, "server.pem"),
    key: path.join(dir, "server-key.pem"),
  };
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req", "-x509", ...ecKey, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2",
      "-subj", "/CN=partner-center-sam test CA",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  openssl(["req", ...ecKey, "-keyout", "server-key.pem", "-out", "server.csr", "-subj", "/CN=localhost"], dir);
  const san = [...TEST_CERT_DNS_NAMES.map((n) => `DNS:${n}`), ...TEST_CERT_IPS.map((ip) => `IP:${ip}`)].join(",");
  writeFileSync(
    path.join(dir, "server.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${san}`,
      "",
    ].join("\n"),
  );
  openssl(
    [
      "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
      "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
    ],
    dir,
  );
  return files;
}
