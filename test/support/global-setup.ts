/**
 * vitest globalSetup: one CA per test run (the emulator's own CA maker), shared
 * with every worker (pool: forks) and every CLI child process through
 * environment variables and PEM files in a temp folder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEmulatorTls } from "../../emulator/certificates";

/** PEM contents of the per-run TLS material. */
export interface TestTls {
  key: string;
  cert: string;
  ca: string;
}

const ENV_KEY = "PCSAM_TEST_TLS_KEY";
const ENV_CERT = "PCSAM_TEST_TLS_CERT";
const ENV_CA = "PCSAM_TEST_CA";

let cached: TestTls | undefined;

/** The per-run TLS material; only available under `vitest` with this globalSetup. */
export function testTls(): TestTls {
  if (cached) return cached;
  const paths = { key: process.env[ENV_KEY], cert: process.env[ENV_CERT], ca: process.env[ENV_CA] };
  if (!paths.key || !paths.cert || !paths.ca) {
    throw new Error(
      `testTls(): ${ENV_KEY}, ${ENV_CERT} and ${ENV_CA} are not set. Run the tests with ` +
        "`npx vitest --config test/vitest.config.mts`, whose globalSetup (test/support/global-setup.ts) creates the test CA.",
    );
  }
  cached = {
    key: readFileSync(paths.key, "utf8"),
    cert: readFileSync(paths.cert, "utf8"),
    ca: readFileSync(paths.ca, "utf8"),
  };
  return cached;
}

/** Creates the CA and sets the environment the workers inherit; returns the teardown. */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-test-"));
  const tls = createEmulatorTls("partner-center-sam test CA");
  const files = { caCert: path.join(dir, "ca.pem"), cert: path.join(dir, "server.pem"), key: path.join(dir, "server-key.pem") };
  writeFileSync(files.caCert, tls.ca);
  writeFileSync(files.cert, tls.cert);
  writeFileSync(files.key, tls.key, { mode: 0o600 });
  const saved = Object.fromEntries(["NODE_EXTRA_CA_CERTS", ENV_KEY, ENV_CERT, ENV_CA].map((k) => [k, process.env[k]]));
  process.env.NODE_EXTRA_CA_CERTS = files.caCert;
  process.env[ENV_KEY] = files.key;
  process.env[ENV_CERT] = files.cert;
  process.env[ENV_CA] = files.caCert;

  return () => {
    rmSync(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
