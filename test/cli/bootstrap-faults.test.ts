/**
 * `npm run bootstrap` when something goes wrong, end to end against the
 * stand-ins: every scenario checks the exit code, the message (stderr and, with
 * --json, the one JSON document on stdout) and that the vault's refresh-token
 * secret is unchanged — first while the vault holds none, then while it holds
 * the token of an earlier bootstrap.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenFault } from "../../emulator/entra";
import type { SecretVersion } from "../../emulator/key-vault";
import { startStandIns, type StandIns, type StandInUser } from "../support/stand-ins";
import {
  BootstrapHarness,
  expectNoSecretOnScreen,
  fakePulumi,
  literal,
  refreshTokenVersions,
  seedRefreshToken,
  type ExpectedFailure,
} from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const SIGN_IN_ARGS = ["--no-browser", "--timeout", "30"];

let s: StandIns;
let h: BootstrapHarness;

beforeAll(async () => {
  s = await startStandIns({ nonMfaUser: true });
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("a sign-in that does not complete, while no refresh token is stored", () => {
  beforeAll(() => {
    expect(refreshTokenVersions(s)).toEqual([]);
  });

  it("exits 3 when the user declines the permissions, and the browser page says so without a code", async () => {
    let page = "";
    await h.expectRefused(false, { exitCode: 3, code: "consent_declined", message: [/declined/, /AADSTS65004/], hint: [/accept the permissions/] }, async () => {
      const { result, loopbackAnswer } = await h.signInAndFinish(SIGN_IN_ARGS, { pages: { consent: "deny" } });
      page = loopbackAnswer?.body ?? "";
      return result;
    });
    expect(page).toContain("Sign-in failed");
    expect(page).toContain("AADSTS65004");
    expect(page).not.toMatch(/code=/);
  });

  it("exits 3 and shows the admin consent URL when the identity provider answers consent_required (AADSTS65001)", async () => {
    s.entra.failNextAuthorize({
      error: "consent_required",
      description: `AADSTS65001: The user or administrator has not consented to use the application with ID '${s.clientId}' named 'Partner Center SAM'. Send an interactive authorization request for this user and resource.`,
    });
    const redemptions = s.entra.tokenRequests.length;
    await h.expectRefused(true, { exitCode: 3, code: "consent_missing", aadsts: "65001", message: [/not been consented/], hint: [literal(s.outputs.adminConsentUrl)] }, async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json"])).result);
    expect(s.entra.tokenRequests.length).toBe(redemptions);
  });

  it("exits 3 when a Conditional Access policy blocks the sign-in at the identity provider (AADSTS53003)", async () => {
    s.entra.failNextAuthorize({ error: "access_denied", description: "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance." });
    await h.expectRefused(true, { exitCode: 3, code: "conditional_access_blocked", aadsts: "53003", message: [/Conditional Access/], hint: [/policy/] }, async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json"])).result);
  });

  it("exits 3 when nobody signs in before --timeout", async () => {
    const startedAt = Date.now();
    await h.expectRefused(false, { exitCode: 3, code: "sign_in_timeout", message: [/did not finish within 10 seconds/], hint: [/--timeout/] }, () => {
      const { cli } = h.start(["--no-browser", "--timeout", "10"]);
      return cli.done;
    });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(10_000);
  });

  it("exits 3 when the sign-in did not use multi-factor authentication", async () => {
    const calls = s.partnerCenter.calls.length;
    await h.expectRefused(true, { exitCode: 3, code: "mfa_missing", message: [/multi-factor/], hint: [/--allow-no-mfa/] }, async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json"], { user: s.users.nonMfa as StandInUser })).result);
    expect(s.partnerCenter.calls.length).toBe(calls);
  });

  it("exits 3 and stores nothing when Partner Center rejects the new token", async () => {
    s.partnerCenter.failNext(1, 401);
    await h.expectRefused(true, { exitCode: 3, code: "partner_center_rejected", message: [/Partner Center rejected the token/], hint: [/admin agent/] }, async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json"])).result);
  });

  it("exits 3 when someone other than the --login-hint account signs in", async () => {
    await h.expectRefused(
      true,
      { exitCode: 3, code: "wrong_account", message: [literal(`Signed in as ${s.users.admin.username}`), /other@contoso\.example/], hint: [/intended account/] },
      async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json", "--login-hint", "other@contoso.example"])).result,
    );
  });
});

describe("Entra ID errors when the code is redeemed, while an earlier refresh token is stored", () => {
  let previous: SecretVersion;

  beforeAll(() => {
    previous = seedRefreshToken(s);
  });

  interface Case {
    code: number;
    fault: Omit<TokenFault, "code">;
    expected: Omit<ExpectedFailure, "aadsts">;
  }

  const MFA_TEXT = "you must use multi-factor authentication to access 'https://localhost/'.";
  const cases: Case[] = [
    {
      code: 50011,
      fault: { status: 400, error: "invalid_request", description: `The redirect URI 'http://localhost:${PORT}/' specified in the request does not match the redirect URIs configured for the application.` },
      expected: { exitCode: 2, code: "redirect_uri_mismatch", message: [literal(`http://localhost:${PORT}/`), /not registered/], hint: [/pulumi up/] },
    },
    {
      code: 7000215,
      fault: { status: 401, error: "invalid_client", description: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID." },
      expected: { exitCode: 2, code: "invalid_client_secret", message: [/client secret/, /rotated/], hint: [/pulumi up/] },
    },
    {
      code: 7000218,
      fault: { status: 401, error: "invalid_client", description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
      expected: { exitCode: 2, code: "client_secret_missing", message: [/client secret/], hint: [/vault/] },
    },
    {
      code: 700025,
      fault: { status: 400, error: "invalid_client", description: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented." },
      expected: { exitCode: 2, code: "public_client_app", message: [/public client/], hint: [/pulumi up/] },
    },
    {
      code: 65001,
      fault: { status: 400, error: "invalid_grant", suberror: "consent_required", description: "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource." },
      expected: { exitCode: 3, code: "consent_missing", message: [/consented/], hint: [/adminconsent\?client_id=/] },
    },
    {
      code: 50076,
      fault: { status: 400, error: "invalid_grant", suberror: "basic_action", description: `Due to a configuration change made by your administrator, or because you moved to a new location, ${MFA_TEXT}` },
      expected: { exitCode: 3, code: "mfa_required", message: [/multi-factor/], hint: [/MFA/] },
    },
    {
      code: 50078,
      fault: { status: 400, error: "invalid_grant", suberror: "basic_action", description: `Presented multi-factor authentication has expired due to policies configured by your administrator, ${MFA_TEXT}` },
      expected: { exitCode: 3, code: "mfa_required", message: [/multi-factor/], hint: [/MFA/] },
    },
    {
      code: 53003,
      fault: { status: 400, error: "invalid_grant", suberror: "message_only", description: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance." },
      expected: { exitCode: 3, code: "conditional_access_blocked", message: [/Conditional Access/], hint: [/policy/] },
    },
    {
      code: 700082,
      fault: { status: 400, error: "invalid_grant", description: "The refresh token has expired due to inactivity." },
      expected: { exitCode: 3, code: "code_expired", message: [/expired/], hint: [/partner-center-sam bootstrap/] },
    },
    {
      code: 70008,
      fault: { status: 400, error: "invalid_grant", description: "The provided authorization code or refresh token has expired due to inactivity." },
      expected: { exitCode: 3, code: "code_expired", message: [/expired/], hint: [/partner-center-sam bootstrap/] },
    },
  ];

  it.each(cases)("exits $expected.exitCode with $expected.code when Entra ID answers AADSTS$code", async ({ code, fault, expected }) => {
    s.entra.failNextToken({ ...fault, code });
    const requests = s.entra.tokenRequests.length;
    const calls = s.partnerCenter.calls.length;
    const result = await h.expectRefused(true, { ...expected, aadsts: String(code) }, async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json"])).result);
    expect(s.entra.tokenRequests.slice(requests)).toEqual([expect.objectContaining({ grantType: "authorization_code", errorCode: code })]);
    expect(s.partnerCenter.calls.length).toBe(calls);
    if (code === 65001) expect((JSON.parse(result.stdout) as { error: { hint: string } }).error.hint).toContain(s.outputs.adminConsentUrl);
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)?.version).toBe(previous.version);
    expect(s.entra.isRefreshTokenValid(previous.value)).toBe(true);
  });
});

describe("Key Vault faults", () => {
  it("exits 1 naming the Key Vault Secrets User role when reads stay forbidden for --access-wait", async () => {
    s.vault.revoke(s.entra.managedIdentityObjectId);
    try {
      const result = await h.expectRefused(
        true,
        { exitCode: 1, code: "vault_forbidden", message: [/denied read access/, /\(403\)/], hint: [/"Key Vault Secrets User \(or Key Vault Secrets Officer\)"/, /--access-wait/] },
        () => h.run(["--json", "--access-wait", "3", "--no-browser"], {}),
      );
      expect(result.stderr).toMatch(/New role assignments can take minutes to apply; retrying in 2 s/);
      expect(result.stderr).not.toMatch(/oauth2\/v2\.0\/authorize/);
    } finally {
      s.vault.grant(s.entra.managedIdentityObjectId, "officer");
    }
  });

  it("exits 1 naming the Key Vault Secrets Officer role when the identity may read but not write the refresh token", async () => {
    s.vault.grant(s.entra.managedIdentityObjectId, "user");
    try {
      const writes = s.vault.writes.length;
      await h.expectRefused(
        true,
        { exitCode: 1, code: "vault_forbidden", message: [/denied write access/, new RegExp(s.outputs.secretNames.refreshToken)], hint: [/"Key Vault Secrets Officer"/] },
        async () => (await h.signInAndFinish([...SIGN_IN_ARGS, "--json", "--access-wait", "3"])).result,
      );
      expect(s.vault.writes.slice(writes).map((w) => w.status)).toEqual([403, 403]);
    } finally {
      s.vault.grant(s.entra.managedIdentityObjectId, "officer");
    }
  });

  it("exits 1 saying to sign in to Azure when no Azure credential is available, before any sign-in", async () => {
    const requests = s.entra.tokenRequests.length;
    await h.expectRefused(true, { exitCode: 1, code: "azure_credential_unavailable", message: [/No Azure credential/], hint: [/az login/, /AZURE_TOKEN_CREDENTIALS/] }, () =>
      h.run(["--json", "--no-browser"], { env: { AZURE_TOKEN_CREDENTIALS: "EnvironmentCredential", IDENTITY_ENDPOINT: undefined, IDENTITY_HEADER: undefined } }),
    );
    expect(s.entra.tokenRequests.length).toBe(requests);
  });

  it("exits 1 saying the vault could not be reached when nothing answers at its address", async () => {
    const keyVaultUri = `https://${s.vault.name}.vault.localhost:${await closedPort()}/`;
    await h.expectRefused(true, { exitCode: 1, code: "vault_unreachable", message: [/could not be reached/, literal(keyVaultUri)], hint: [/vault URI/] }, () =>
      h.run(["--json", "--no-browser", "--access-wait", "3"], { outputs: h.outputs({ keyVaultUri }) }),
    );
  });
});

describe("stack outputs and options", () => {
  it("exits 2 naming a missing keyVaultUri output and saying to run pulumi up, without touching the vault", async () => {
    const requests = s.vault.requests.length;
    await h.expectRefused(true, { exitCode: 2, code: "stack_outputs_invalid", message: [/keyVaultUri is missing/], hint: [/pulumi up/] }, () =>
      h.run(["--json"], { outputs: h.outputsWithout("keyVaultUri") }),
    );
    expect(s.vault.requests.length).toBe(requests);
  });

  it("exits 2 before any sign-in when the vault's client id differs from the stack outputs", async () => {
    await h.expectRefused(true, { exitCode: 2, code: "vault_outputs_mismatch", message: [/clientId differ/], hint: [/same stack|pulumi up/] }, () =>
      h.run(["--json", "--no-browser"], { outputs: h.outputs({ clientId: "00000000-0000-4000-8000-000000000000" }) }),
    );
  });

  it("exits 2 naming a tenantId output that is not a GUID", async () => {
    await h.expectRefused(true, { exitCode: 2, code: "stack_outputs_invalid", message: [/tenantId is "contoso\.example", expected a GUID/], hint: [/pulumi up/] }, () =>
      h.run(["--json"], { outputs: h.outputs({ tenantId: "contoso.example" }) }),
    );
  });

  it("names every missing or malformed output at once", async () => {
    const outputs = { ...h.outputsWithout("keyVaultUri", "secretNames"), tenantId: 42, scopes: [], partnerCenterEndpoint: "http://api.partnercenter.example" };
    const result = await h.expectRefused(
      false,
      { exitCode: 2, code: "stack_outputs_invalid", message: [/tenantId is 42, expected a GUID/, /keyVaultUri is missing/, /partnerCenterEndpoint is "http:\/\/api\.partnercenter\.example", expected an https URL/, /scopes is \[\], expected a non-empty array/, /secretNames is missing/], hint: [/pulumi up/] },
      () => h.run([], { outputs }),
    );
    expect(result.stderr.match(/^ {2}- /gm)).toHaveLength(5);
  });

  it("exits 2 mentioning --outputs when the Pulumi CLI is not on PATH", async () => {
    const emptyBin = mkdtempSync(path.join(h.dir, "empty-bin-"));
    await h.expectRefused(false, { exitCode: 2, code: "pulumi_cli_missing", message: [/Pulumi CLI/, /not found on PATH/], hint: [/--outputs FILE/] }, () =>
      h.run([], { outputs: null, env: { PATH: emptyBin } }),
    );
  });

  it("exits 2 with Pulumi's own complaint when `pulumi stack output` fails for the --stack given", async () => {
    const { binDir, argsFile } = fakePulumi(h, { failure: "error: no stack named 'nope' found\n" });
    await h.expectRefused(true, { exitCode: 2, code: "pulumi_stack_output_failed", message: [/no stack named 'nope' found/], hint: [/pulumi stack ls/] }, () =>
      h.run(["--stack", "nope", "--json"], { outputs: null, env: { PATH: binDir } }),
    );
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual(["stack", "output", "--json", "--show-secrets", "--stack", "nope"]);
  });

  it("reports every bad option at once and exits 2", async () => {
    const result = await h.expectRefused(
      true,
      { exitCode: 2, code: "invalid_options", message: [/--timeout must be a whole number from 10 to 3600, got "0"/, /--access-wait must be a whole number from 0 to 3600, got "x"/, /--login-hint must be a user principal name .* got "nope"/], hint: [/--help/] },
      () => h.run(["--timeout", "0", "--access-wait", "x", "--login-hint", "nope", "--json"]),
    );
    expect(result.stderr.match(/^ {2}- /gm)).toHaveLength(3);
  });

  it("answers an unknown option with one JSON document under --json and exits 2", async () => {
    await h.expectRefused(true, { exitCode: 2, code: "invalid_options", message: [/unknown option '--frobnicate'/] }, () => h.run(["--frobnicate", "--json"], { outputs: null }));
  });
});

// Runs last (tests in a file run in order): everything the commands above printed.
describe("what the bootstrap printed in all of the above", () => {
  it("contains no token, code, client secret, password or MFA code", () => {
    expectNoSecretOnScreen(h, 28);
  });
});
