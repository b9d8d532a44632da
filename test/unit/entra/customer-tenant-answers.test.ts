/**
 * The token provider in customer tenants, end to end against the emulator: an unknown tenant is
 * `tenant_not_found` (Entra's AADSTS90002, which msal-node reports as an endpoint-resolution error), and a
 * customer's policy answers with its own code, naming the customer, without touching the stored refresh token.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTokenProvider } from "partner-center-sam";
import { startEmulator, type Emulator, type StartEmulatorOptions } from "../../../emulator";

const started: Emulator[] = [];
async function start(options: StartEmulatorOptions): Promise<Emulator> {
  const emu = await startEmulator({ bootstrapped: true, ...options });
  started.push(emu);
  return emu;
}
afterEach(async () => {
  for (const emu of started.splice(0)) await emu.close();
});

function providerFor(emu: Emulator) {
  return createTokenProvider({ keyVaultUri: emu.keyVaultUri, credential: emu.credential, authorityHost: emu.authorityHost, partnerCenterEndpoint: emu.partnerCenterEndpoint, graphEndpoint: emu.graphEndpoint });
}

const GRAPH = ["https://graph.microsoft.com/.default"];

describe("the token provider in customer tenants", () => {
  it.each(["nobody.onmicrosoft.com", "6c1f3b7e-0000-4000-8000-000000000000"])("answers an unknown tenant %s with tenant_not_found, exit 2", async (tenant) => {
    const emu = await start({ customers: [{ consented: true, gdap: true }] });
    const error = await providerFor(emu).getAccessToken({ scopes: GRAPH, tenantId: tenant }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "tenant_not_found", exitCode: 2, aadsts: "90002" });
    expect((error as Error).message).toContain(tenant);
  });

  it("answers a customer whose Conditional Access blocks service-provider users with its own code, and leaves the vault alone", async () => {
    const emu = await start({ customers: [{ displayName: "Woodgrove", domain: "woodgrove.onmicrosoft.com", consented: true, gdap: true, conditionalAccess: 50177 }] });
    const writes = emu.keyVault.writeCount;
    const error = await providerFor(emu).getAccessToken({ scopes: GRAPH, tenantId: "woodgrove.onmicrosoft.com" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "customer_service_provider_blocked", exitCode: 3, aadsts: "50177" });
    expect((error as Error).message).toContain("woodgrove.onmicrosoft.com");
    expect((error as { hint: string }).hint).not.toMatch(/run[^.]*bootstrap/i);
    expect(emu.keyVault.writeCount).toBe(writes);
  });

  it("gets a token for the graph alias on the emulator's Graph endpoint, with Graph's audience", async () => {
    const emu = await start({ customers: [{ consented: true, gdap: true }] });
    const response = await providerFor(emu).fetch(`${emu.graphEndpoint}/v1.0/organization`, {}, { tenantId: emu.customers[0].tenantId });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { value: Array<{ id: string }> }).value[0]!.id).toBe(emu.customers[0].tenantId);
  });
});
