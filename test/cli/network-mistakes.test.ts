/**
 * The two most common mistakes with the emulator — its environment lines not
 * run in this shell — each get their own message and fix instead of "check the
 * vault firewall": a `*.vault.localhost` name that does not resolve (no
 * `*.localhost` resolver in NODE_OPTIONS) and a certificate this machine does
 * not trust (no NODE_EXTRA_CA_CERTS; also the fix behind a TLS-inspecting proxy).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonStdout } from "../support/cli-expect";
import { seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { runCli } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";

const UNRESOLVED_VAULT_NAMES = path.join(process.cwd(), "test", "support", "unresolved-vault-names.cjs");

let s: StandIns;
beforeAll(async () => {
  s = await startStandIns();
});
afterAll(async () => {
  await s?.stop();
});

interface ErrorDocument {
  ok: false;
  error: { code: string; message: string; hint: string };
}

describe("the emulator's environment missing in this shell", () => {
  it.each(["status", "refresh", "token"] as const)("%s: a vault name that does not resolve says so (host_not_resolved) and points at the emulator's environment lines", async (command) => {
    seedRefreshToken(s);
    const env = s.childEnv();
    env.NODE_OPTIONS = `${env.NODE_OPTIONS} --require ${UNRESOLVED_VAULT_NAMES}`;

    const result = await runCli(command, ["--outputs", writeOutputsFile(s), "--json", "--access-wait", "0"], env);

    expect(result.code, result.stderr).toBe(1);
    const { error } = jsonStdout(result) as unknown as ErrorDocument;
    expect(error.code).toBe("host_not_resolved");
    expect(error.message).toContain(`${new URL(s.vault.url).hostname} does not resolve (ENOTFOUND)`);
    expect(error.hint).toMatch(/environment lines `partner-center-sam emulator` printed/);
    expect(error.hint).toMatch(/\$env:/);
    expect(`${error.message} ${error.hint}`).not.toMatch(/firewall|allowedIpRanges/);
  });

  it("a certificate this machine does not trust says so (certificate_untrusted) and names NODE_EXTRA_CA_CERTS", async () => {
    seedRefreshToken(s);

    const result = await runCli("status", ["--outputs", writeOutputsFile(s), "--json", "--access-wait", "0"], s.childEnv({ NODE_EXTRA_CA_CERTS: undefined }));

    expect(result.code, result.stderr).toBe(1);
    const { error } = jsonStdout(result) as unknown as ErrorDocument;
    expect(error.code).toBe("certificate_untrusted");
    expect(error.message).toMatch(/presented a certificate this machine does not trust \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    expect(error.hint).toMatch(/NODE_EXTRA_CA_CERTS/);
    expect(`${error.message} ${error.hint}`).not.toMatch(/firewall|allowedIpRanges/);
  });
});
