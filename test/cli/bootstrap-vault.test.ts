/**
 * `npm run bootstrap` against Key Vault answers found only in the real vault:
 * a soft-deleted refresh-token secret (found and recovered before the
 * interactive sign-in, or the command stops before it) and a firewall.
 */
import { afterEach, describe, expect, it } from "vitest";
import { expectNoSecretPrinted, freshStandInsPerTest } from "../support/cli-expect";
import type { StandIns } from "../support/stand-ins";
import { BootstrapHarness, jsonDocument, seedRefreshToken } from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const SIGN_IN_ARGS = ["--no-browser", "--timeout", "30"];

let s: StandIns;
let h: BootstrapHarness;
const allStandIns = freshStandInsPerTest((started) => {
  s = started;
  h = new BootstrapHarness(started, PORT);
});

afterEach(async () => {
  await h.cleanup();
});

const tokenName = () => s.outputs.secretNames.refreshToken;

describe("a soft-deleted refresh-token secret", () => {
  it("is recovered before the sign-in, says so, and the new token is stored as its newest version", async () => {
    const old = seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());

    const { result } = await h.signInAndFinish([...SIGN_IN_ARGS, "--json"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`The refresh-token secret "${tokenName()}" was deleted (soft delete); recovered it`);
    expect(result.stderr.indexOf("recovered it")).toBeLessThan(result.stderr.search(/https:\/\/\S+\/oauth2\/v2\.0\/authorize/));
    const versions = s.vault.versions(tokenName());
    expect(versions.map((v) => v.version)).toEqual([old.version, expect.any(String)]);
    expect(versions[1]!.value).toBe(s.entra.newestRefreshToken(s.clientId, s.users.admin.username));
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, version: versions[1]!.version });
    expect(s.vault.deletedSecret(tokenName())).toBeUndefined();
  });

  it("stops before the sign-in with exit 3 and the az recover/purge commands when the vault refuses the recovery", async () => {
    seedRefreshToken(s);
    const deleted = s.vault.deleteSecret(tokenName());
    s.vault.grant(s.entra.managedIdentityObjectId, "user");

    const result = await h.run([...SIGN_IN_ARGS, "--access-wait", "0", "--json"]);

    expect(result.code).toBe(3);
    const doc = jsonDocument(result.stdout);
    expect(doc).toMatchObject({ ok: false, error: { code: "refresh_token_deleted" } });
    const { message, hint } = doc.error as { message: string; hint: string };
    expect(message).toContain(`will be purged on ${deleted.scheduledPurgeDate.toISOString()}`);
    expect(message).toContain("the sign-in was not started");
    expect(hint).toContain(`az keyvault secret recover --vault-name ${s.vault.name} --name ${tokenName()}`);
    expect(hint).toContain(`az keyvault secret purge --vault-name ${s.vault.name} --name ${tokenName()}`);
    expect(result.stderr).not.toMatch(/oauth2\/v2\.0\/authorize/);
    expect(s.entra.tokenRequests).toEqual([]);
    expect(s.vault.deletedSecret(tokenName())).toBeDefined();
    expect(s.vault.writes).toEqual([]);
  });
});

describe("a vault firewall", () => {
  it("stops the bootstrap before the sign-in with exit 1, the client address and the allowedIpRanges fix, without waiting for --access-wait", async () => {
    s.vault.setFirewall("192.0.2.10");

    const result = await h.run([...SIGN_IN_ARGS, "--access-wait", "600"]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("client address 192.0.2.10");
    expect(result.stderr).toContain("pulumi config set --path 'partner-center-sam:allowedIpRanges[N]' 192.0.2.10");
    expect(result.stderr).not.toContain("retrying");
    expect(s.entra.tokenRequests).toEqual([]);
  });
});

describe("bootstrap output", () => {
  it("never contains a stored secret or anything token-shaped", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
