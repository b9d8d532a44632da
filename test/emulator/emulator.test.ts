/**
 * `startEmulator()` as a downstream project uses it: in-process, with its own
 * CA (not the test run's), trusted in this process until close().
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { createTokenProvider } from "partner-center-sam";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator";
import { decodeJwt } from "../../emulator/jwt";
import { freeLoopbackPort } from "../support/free-port";
import { LOOPBACK_ONLY_CJS } from "../support/loopback-guard";
import { startCli } from "../support/run-cli";

const started: Emulator[] = [];
async function start(...args: Parameters<typeof startEmulator>): Promise<Emulator> {
  const emu = await startEmulator(...args);
  started.push(emu);
  return emu;
}
afterEach(async () => {
  for (const emu of started.splice(0)) await emu.close();
});

function providerFor(emu: Emulator) {
  return createTokenProvider({ keyVaultUri: emu.keyVaultUri, credential: emu.credential, authorityHost: emu.authorityHost, partnerCenterEndpoint: emu.partnerCenterEndpoint });
}

/** A port nobody listens on now, with the next three free too. */
async function freePorts(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
      server.on("error", reject);
    });
    if (port > 65000) continue;
    const taken = await Promise.all(
      [port + 1, port + 2, port + 3].map(
        (p) =>
          new Promise<boolean>((resolve) => {
            const probe = net.createServer().listen(p, "127.0.0.1", () => probe.close(() => resolve(false)));
            probe.on("error", () => resolve(true));
          }),
      ),
    );
    if (!taken.includes(true)) return port;
  }
}

describe("startEmulator", () => {
  it("serves the three services on loopback and describes them as `pulumi up` outputs would", async () => {
    const emu = await start();
    for (const url of [emu.authorityHost, emu.keyVaultUri, emu.partnerCenterEndpoint]) expect(new URL(url).hostname).toMatch(/(^|\.)localhost$/);
    expect(emu.outputs).toMatchObject({
      tenantId: emu.tenantId,
      clientId: emu.clientId,
      keyVaultUri: emu.keyVaultUri,
      authorityHost: emu.authorityHost,
      partnerCenterEndpoint: emu.partnerCenterEndpoint,
      redirectUri: "http://localhost:8400/",
      scopes: [`${emu.partnerCenterEndpoint}/user_impersonation`],
      multiTenant: false,
    });
    expect(emu.users).toHaveLength(1);
    expect(emu.users[0]).toMatchObject({ username: "admin@contoso.example", mfa: true });
    expect(emu.users[0].mfaCode).toMatch(/^\d{6}$/);
    // The vault holds the app's credentials, and no refresh token yet (the state after `pulumi up`).
    // By default the app has a certificate, as the stack's default appCredential: key and certificate in the vault, no client secret.
    const certificate = emu.keyVault.latest(emu.outputs.secretNames.clientCertificate!);
    expect(certificate?.value).toBe(emu.clientCertificate!.pem);
    expect(certificate?.contentType).toBe("application/x-pem-file");
    expect(certificate?.expiresOn?.toISOString()).toBe(emu.outputs.clientCertificateExpiresAt);
    expect(emu.outputs.secretNames.clientSecret).toBeUndefined();
    expect(emu.clientSecret).toBeUndefined();
    expect(emu.keyVault.latest(emu.outputs.secretNames.refreshToken)).toBeUndefined();
    const file = emu.writeOutputs();
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(emu.outputs);
    expect(JSON.stringify(emu.outputs)).not.toContain("PRIVATE KEY");
  });

  it("has every output the Pulumi program always exports, and no other", async () => {
    const emu = await start();
    const program = readFileSync(path.join(process.cwd(), "infra", "program.ts"), "utf8");
    const block = program.slice(program.indexOf("export interface StackOutputs"), program.indexOf("\n}\n", program.indexOf("export interface StackOutputs")));
    const always = [...block.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]);
    const optional = [...block.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
    expect(always.length).toBeGreaterThan(10);
    // Besides those, the outputs of the app credential it has (the certificate's by default), as the program exports them.
    const credential = ["clientCertificateExpiresAt", "clientCertificateThumbprint"];
    expect(optional).toEqual(expect.arrayContaining(credential));
    expect(Object.keys(emu.outputs).sort()).toEqual([...always, ...credential].sort());
  });

  it("gives child processes the CA file and the managed identity the vault accepts", async () => {
    const emu = await start();
    expect(readFileSync(emu.env.NODE_EXTRA_CA_CERTS, "utf8")).toBe(emu.caCertificate);
    expect(new X509Certificate(emu.caCertificate).ca).toBe(true);
    expect(emu.env).toMatchObject({ AZURE_AUTHORITY_HOST: emu.authorityHost, AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential" });
    expect(emu.env.IDENTITY_ENDPOINT.startsWith(emu.authorityHost)).toBe(true);
  });

  it("starts, on request, with a certificate the app does not know or one that has expired, and the provider says so", async () => {
    const unknown = await start({ bootstrapped: true, certificate: { registered: false } });
    await expect(providerFor(unknown).getAccessToken()).rejects.toMatchObject({ code: "client_certificate_unknown" });
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 - 86_400_000);
    const expired = await start({ bootstrapped: true, certificate: { notBefore: new Date(notAfter.getTime() - 86_400_000), notAfter } });
    expect(expired.outputs.clientCertificateExpiresAt).toBe(notAfter.toISOString());
    await expect(providerFor(expired).getAccessToken()).rejects.toMatchObject({ code: "client_certificate_expired" });
  });

  it("starts with a client secret instead when asked (appCredential: secret), and the provider uses it", async () => {
    const emu = await start({ bootstrapped: true, appCredential: "secret" });
    expect(emu.outputs.secretNames.clientCertificate).toBeUndefined();
    expect(emu.keyVault.latest(emu.outputs.secretNames.clientSecret!)?.value).toBe(emu.clientSecret);
    expect(await providerFor(emu).getAccessToken()).toMatch(/^eyJ/);
    expect(emu.entra.tokenRequests.filter((r) => r.grantType === "refresh_token").map((r) => r.clientAuthentication)).toEqual([["client_secret"]]);
  });

  it("lets the token provider get a token in this process with no other setup, once bootstrapped", async () => {
    const emu = await start({ bootstrapped: true });
    const stored = emu.keyVault.latest(emu.outputs.secretNames.refreshToken);
    expect(stored?.value).toBeTruthy();
    const token = await providerFor(emu).getAccessToken();
    expect(decodeJwt(token).payload).toMatchObject({ tid: emu.tenantId, aud: emu.partnerCenterEndpoint, upn: "admin@contoso.example" });
    // The stored refresh token was written just now, so the provider (which writes back once a day) leaves it as it is.
    expect(emu.keyVault.latest(emu.outputs.secretNames.refreshToken)?.version).toBe(stored?.version);
  });

  it("answers no more once closed, and removes its temp folder", async () => {
    const emu = await start({ bootstrapped: true });
    const url = emu.authorityHost;
    await emu.close();
    await expect(fetch(`${url}/common/discovery/keys`)).rejects.toThrow();
    expect(existsSync(emu.env.NODE_EXTRA_CA_CERTS)).toBe(false);
  });

  it("with a seed, gives the same ids and credentials on every start; another seed gives others", async () => {
    const a = await start({ seed: "demo" });
    const outputsA = { ...a.outputs };
    const userA = { ...a.users[0] };
    await a.close();
    const b = await start({ seed: "demo" });
    const c = await start({ seed: "other" });
    const ids = (e: Emulator) => [e.tenantId, e.clientId, e.outputs.applicationObjectId, e.outputs.servicePrincipalObjectId, e.users[0].password, e.users[0].mfaCode, e.users[0].oid];
    expect(ids(b)).toEqual([outputsA.tenantId, outputsA.clientId, outputsA.applicationObjectId, outputsA.servicePrincipalObjectId, userA.password, userA.mfaCode, userA.oid]);
    expect(ids(c).filter((v, i) => v === ids(b)[i])).toEqual([]);
    expect(b.tenantId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("listens on the port given and the next three", async () => {
    const port = await freePorts();
    const emu = await start({ port });
    expect([emu.authorityHost, emu.keyVaultUri, emu.partnerCenterEndpoint, emu.graphEndpoint].map((u) => Number(new URL(u).port))).toEqual([port, port + 1, port + 2, port + 3]);
  });

  it("refuses a port that leaves no room for four", async () => {
    await expect(startEmulator({ port: 65534 })).rejects.toThrow(/port must be an integer from 1 to 65532/);
  });

  it("serves customer tenants: listed by Partner Center, consented and with a GDAP role as asked", async () => {
    const emu = await start({ bootstrapped: true, customers: [{ domain: "fabrikam.onmicrosoft.com", displayName: "Fabrikam", consented: true, gdap: true }, {}] });
    expect(emu.outputs.multiTenant).toBe(true);
    expect(emu.partnerCenter.customers.map((c) => c.domain)).toEqual(["fabrikam.onmicrosoft.com", "customer2.onmicrosoft.com"]);
    const provider = providerFor(emu);
    const token = await provider.getAccessToken({ scopes: ["https://graph.microsoft.com/.default"], tenantId: "fabrikam.onmicrosoft.com" });
    expect(decodeJwt(token).payload.tid).toBe(emu.customers[0].tenantId);
    await expect(provider.getAccessToken({ scopes: ["https://graph.microsoft.com/.default"], tenantId: emu.customers[1].tenantId })).rejects.toMatchObject({ code: "customer_consent_missing" });
  });

  it("completes a sign-in without a browser, or says that none is pending", async () => {
    const emu = await start();
    await expect(emu.signIn()).rejects.toThrow(/No sign-in is pending/);
    await expect(emu.signIn({ url: "https://example.invalid/", user: "nobody@contoso.example" })).rejects.toThrow(/no user nobody@contoso.example/);
    await expect(emu.signIn({ url: "https://example.invalid/", mfa: false })).rejects.toThrow(/no user without MFA; its users are admin@contoso.example \(MFA\)/);
    await expect(emu.signIn({ url: "https://example.invalid/", user: "admin@contoso.example", mfa: false })).rejects.toThrow(/admin@contoso.example signs in with MFA/);
  });

  /** A bootstrap child process against `emu`, waiting for its sign-in; resolves with the URL it printed and its end. */
  async function waitingBootstrap(emu: Emulator, extraArgs: string[]) {
    const outputs = emu.writeOutputs();
    const file = outputs.replace(/stack\.outputs\.json$/, "free-port.outputs.json");
    writeFileSync(file, JSON.stringify({ ...emu.outputs, redirectUri: `http://localhost:${freeLoopbackPort()}/` }));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) env[k] = v;
    const cli = startCli("bootstrap", ["--outputs", file, "--no-browser", "--json", ...extraArgs], { ...env, ...emu.env, NODE_OPTIONS: `--require ${LOOPBACK_ONLY_CJS} ${emu.env.NODE_OPTIONS}` });
    const [url] = await cli.waitForStderr(/https?:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+/);
    return { url, cli };
  }

  it("signs in for a waiting bootstrap: the sign-in a browser opened, or a user without MFA when asked", async () => {
    const emu = await start({ users: [{ username: "admin@contoso.example" }, { username: "user@contoso.example", mfa: false }] });
    const tags = () => emu.keyVault.latest(emu.outputs.secretNames.refreshToken)?.tags;

    // The page was opened (as by a browser) and left: signIn() finishes it as the first user, with MFA.
    const first = await waitingBootstrap(emu, []);
    expect((await fetch(first.url)).status).toBe(200);
    await emu.signIn();
    expect((await first.cli.done).code).toBe(0);
    await expect(emu.signIn(), "that sign-in is no longer pending").rejects.toThrow(/No sign-in is pending/);
    expect(tags()).toMatchObject({ consentedBy: "admin@contoso.example", mfa: "true" });

    // mfa: false picks the user without MFA; the bootstrap stores that only with --allow-no-mfa.
    // Another user's token replaces the admin's only with --replace.
    const second = await waitingBootstrap(emu, ["--allow-no-mfa", "--no-verify", "--replace"]);
    await emu.signIn({ url: second.url, mfa: false });
    expect((await second.cli.done).code).toBe(0);
    expect(tags()).toMatchObject({ consentedBy: "user@contoso.example", mfa: "false" });
  });

  it("writes nothing outside its temp folder", async () => {
    const emu = await start();
    expect(path.dirname(emu.writeOutputs())).toBe(path.dirname(emu.caCertificateFile));
  });
});
