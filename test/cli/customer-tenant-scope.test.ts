/**
 * Partner Center is called in the partner's own tenant: `token --tenant` and
 * `call --tenant` with a Partner Center scope (the default one, the alias or a
 * full scope) are refused up front (exit 2) before any token request, and the
 * library refuses the same way. The emulator's outputs carry the Graph scopes
 * it consented in its customer tenants, and its Entra ID and Partner Center
 * agree on which customers are consented.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenProvider, SamError } from "partner-center-sam";
import { jsonStdout } from "../support/cli-expect";
import { seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import { runCli } from "../support/run-cli";
import { startStandIns, type StandIns } from "../support/stand-ins";
import { startEmulator } from "../../emulator";

let c: StandIns;
beforeAll(async () => {
  c = await startStandIns({
    customers: [
      { domain: "fabrikam.onmicrosoft.com", consented: true, gdap: true },
      { domain: "unconsented.onmicrosoft.com", gdap: true },
    ],
  });
});
afterAll(async () => {
  await c?.stop();
});

const tokenRequests = () => c.entra.tokenRequests.length;

describe("a Partner Center scope in a customer tenant", () => {
  it.each([
    ["token with the default scope", "token", [] as string[]],
    ["token --scope partner-center", "token", ["--scope", "partner-center"]],
    ["token with Partner Center's full scope", "token", ["--scope", "https://api.partnercenter.microsoft.com/user_impersonation"]],
    ["call on a Partner Center path", "call", ["/v1/customers"]],
  ] as const)("%s --tenant <customer> exits 2 before any token request, saying to use --scope graph or a full scope", async (_name, command, args) => {
    seedRefreshToken(c);
    const before = tokenRequests();

    // `call` has no --json: its stderr says the same.
    const result = await runCli(command, [...vaultUriArgs(c), "--tenant", "fabrikam.onmicrosoft.com", ...args, ...(command === "token" ? ["--json"] : [])], c.childEnv());

    expect(result.code, result.stderr).toBe(2);
    if (command === "token") {
      const document = jsonStdout(result) as { ok: boolean; error: { code: string; message: string; hint: string } };
      expect(document.error.code).toBe("partner_center_customer_tenant");
      expect(document.error.hint).toMatch(/full scope/);
    }
    expect(result.stderr).toMatch(/Partner Center is called in the partner's own tenant/);
    expect(result.stderr).toMatch(/Next: .*--scope graph or a full scope/);
    expect(tokenRequests()).toBe(before);
  });

  it("still gives a Graph token in the customer tenant with --scope graph", async () => {
    seedRefreshToken(c);
    const result = await runCli("token", [...vaultUriArgs(c), "--tenant", "fabrikam.onmicrosoft.com", "--scope", "graph", "--json"], c.childEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(jsonStdout(result).tenantId).toBe(c.customers[0]!.tenantId);
  });

  it("is refused by the library's getAccessToken the same way, without a token request, while the partner's own tenant still works", async () => {
    seedRefreshToken(c);
    const provider = createTokenProvider({ keyVaultUri: c.vault.url, credential: c.entra.credential(), authorityHost: c.entra.url, partnerCenterEndpoint: c.partnerCenter.url });
    const before = tokenRequests();
    const refused = await provider.getAccessToken({ tenantId: c.customers[0]!.tenantId }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SamError);
    expect(refused).toMatchObject({ code: "partner_center_customer_tenant", exitCode: 2, hint: expect.stringMatching(/--scope graph/) });
    await expect(provider.getAccessToken({ scopes: [`${c.partnerCenter.url}/user_impersonation`], tenantId: c.customers[0]!.tenantId })).rejects.toMatchObject({ code: "partner_center_customer_tenant" });
    expect(tokenRequests()).toBe(before);
    await expect(provider.getAccessToken({ tenantId: c.tenantId })).resolves.toMatch(/^ey/);
  });
});

describe("the emulator's customer tenants, end to end", () => {
  it("consent works with the emulator's own outputs (no `pulumi up` dead end), and then a Graph token in that tenant does", async () => {
    seedRefreshToken(c);
    const outputs = writeOutputsFile(c);
    const consented = await runCli("consent", ["--customer", c.customers[0]!.tenantId, "--outputs", outputs], c.childEnv());
    expect(consented.code, consented.stderr).toBe(0);

    const consent = await runCli("consent", ["--customer", c.customers[1]!.tenantId, "--outputs", outputs], c.childEnv());
    expect(consent.code, consent.stderr).toBe(0);
    expect(c.partnerCenter.applicationConsents(c.customers[1]!.tenantId)).toHaveLength(1);
    const token = await runCli("token", [...vaultUriArgs(c), "--tenant", "unconsented.onmicrosoft.com", "--scope", "graph", "--json"], c.childEnv());
    expect(token.code, token.stderr).toBe(0);
    expect(jsonStdout(token).tenantId).toBe(c.customers[1]!.tenantId);
  });
});

describe("the emulator's customer tenants", () => {
  it("export the Graph scopes they were consented to, and Entra ID and Partner Center agree on which customers are consented", async () => {
    const emu = await startEmulator({ customers: [{ consented: true, gdap: true }, { gdap: true }, { consented: ["User.Read"], gdap: true }], trustInProcess: false });
    try {
      expect(emu.outputs.multiTenant).toBe(true);
      expect(emu.outputs.customerGraphScopes.length).toBeGreaterThan(0);
      const [consented, unconsented, custom] = emu.customers;
      const grants = (tenantId: string) => emu.partnerCenter.applicationConsents(tenantId).map((a) => [a.applicationId.toLowerCase(), a.applicationGrants.map((g) => g.scope).join(",")]);
      expect(grants(consented!.tenantId)).toEqual([[emu.clientId.toLowerCase(), emu.outputs.customerGraphScopes.join(",")]]);
      expect(grants(unconsented!.tenantId)).toEqual([]);
      expect(grants(custom!.tenantId)).toEqual([[emu.clientId.toLowerCase(), "User.Read"]]);
      for (const customer of emu.customers) {
        expect(emu.entra.appConsentInTenant(customer.tenantId, emu.clientId) !== undefined, customer.domain).toBe(emu.partnerCenter.applicationConsents(customer.tenantId).length > 0);
      }
      expect(emu.entra.appConsentInTenant(consented!.tenantId, emu.clientId)).toEqual(emu.outputs.customerGraphScopes.map((name) => `https://graph.microsoft.com/${name}`));
    } finally {
      await emu.close();
    }
  });

  it("single-tenant: exports no customer scopes", async () => {
    const emu = await startEmulator({ trustInProcess: false });
    try {
      expect(emu.outputs).toMatchObject({ multiTenant: false, customerGraphScopes: [] });
    } finally {
      await emu.close();
    }
  });
});
