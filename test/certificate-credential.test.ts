/**
 * The app's certificate credential end to end: the commands and the token
 * provider redeem with a client assertion signed by the vault's certificate
 * (never a client secret), the emulated token endpoint checks assertions as
 * Entra ID does and answers its codes, and the commands explain each refusal.
 */
import { X509Certificate, constants, createHash, createPrivateKey, sign } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTokenProvider } from "partner-center-sam";
import { RefreshTokenRotator } from "../bootstrap/src/entra/refresh-token-rotator";
import { VaultStore } from "../bootstrap/src/vault/vault-store";
import { createClientCertificate, type ClientCertificateMaterial } from "../emulator/certificates";
import { BootstrapHarness } from "./cli/bootstrap-helpers";
import { freeLoopbackPort } from "./support/free-port";
import { seedRefreshToken, writeOutputsFile } from "./support/fixtures";
import { runCli } from "./support/run-cli";
import { startStandIns, type StandIns } from "./support/stand-ins";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
let s: StandIns;

beforeAll(async () => {
  s = await startStandIns();
});
afterAll(async () => {
  await s.stop();
});

const certificate = () => s.clientCertificate!;
const tokenEndpoint = () => `${s.entra.url}/${s.tenantId}/oauth2/v2.0/token`;
const lastRequest = () => s.entra.tokenRequests[s.entra.tokenRequests.length - 1]!;

/** A client assertion as msal-node makes one (PS256, `x5t#S256`), with claims and signing key to vary. */
function assertion(
  options: { cert?: ClientCertificateMaterial; key?: string; alg?: "PS256" | "RS256"; claims?: Record<string, unknown>; nowSeconds?: number } = {},
): string {
  const cert = options.cert ?? certificate();
  const der = new X509Certificate(cert.certificatePem).raw;
  const alg = options.alg ?? "PS256";
  const header =
    alg === "PS256"
      ? { alg, typ: "JWT", "x5t#S256": createHash("sha256").update(der).digest("base64url") }
      : { alg, typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims = { aud: tokenEndpoint(), iss: s.clientId, sub: s.clientId, jti: `${now}-${Math.random()}`, nbf: now, exp: now + 600, ...options.claims };
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  const key = createPrivateKey(options.key ?? cert.privateKeyPem);
  const signature =
    alg === "PS256"
      ? sign("sha256", Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : sign("sha256", Buffer.from(input), key);
  return `${input}.${signature.toString("base64url")}`;
}

/** Asks the token endpoint for an app token with this client assertion. */
async function present(clientAssertion: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(tokenEndpoint(), {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: s.clientId,
      scope: GRAPH_DEFAULT,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function expectRefused(result: { status: number; body: Record<string, unknown> }, code: number, text: RegExp): void {
  expect(result.status).toBe(401);
  expect(result.body).toMatchObject({ error: "invalid_client", error_codes: [code] });
  expect(String(result.body.error_description)).toMatch(new RegExp(`^AADSTS${code}: ${text.source}`));
}

function rotator(): RefreshTokenRotator {
  const store = new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential() });
  return new RefreshTokenRotator({ store, authorityHost: s.entra.url });
}

async function refusal(work: Promise<unknown>): Promise<{ code?: string; message: string; hint?: string; exitCode?: number }> {
  const error = (await work.then(() => undefined, (e: unknown) => e)) as { code?: string; message: string; hint?: string; exitCode?: number } | undefined;
  if (!error) throw new Error("expected a refusal");
  return error;
}

describe("the emulated token endpoint with the app's certificate", () => {
  it("accepts an assertion signed with the registered certificate's key, by x5t#S256 (PS256) or x5t (RS256)", async () => {
    const ps256 = await present(assertion());
    expect([ps256.status, typeof ps256.body.access_token]).toEqual([200, "string"]);
    const rs256 = await present(assertion({ alg: "RS256" }));
    expect(rs256.status).toBe(200);
    expect(lastRequest().clientAuthentication).toEqual(["client_assertion"]);
  });

  it("accepts the same assertion again until it expires, as msal-node reuses it", async () => {
    const reused = assertion();
    expect((await present(reused)).status).toBe(200);
    expect((await present(reused)).status).toBe(200);
  });

  it("refuses a certificate the app does not have with AADSTS700027, The key was not found", async () => {
    const stranger = createClientCertificate();
    const result = await present(assertion({ cert: stranger }));
    expectRefused(result, 700027, /The certificate with identifier used to sign the client assertion is not registered on application\. \[Reason - The key was not found\., Thumbprint of key used by client: '[0-9A-F]{64}'/);
  });

  it("refuses an assertion signed with another key than the certificate's with AADSTS700027", async () => {
    const result = await present(assertion({ key: createClientCertificate().privateKeyPem }));
    expectRefused(result, 700027, /Client assertion contains an invalid signature\. \[Reason - The provided signature value did not match the expected signature value\., .*Found key 'Start=\d\d\/\d\d\/\d{4} /);
  });

  it("refuses an expired certificate with AADSTS700027, The key used is expired", async () => {
    const expired = createClientCertificate({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    s.entra.addAppCertificate(s.clientId, expired.certificatePem);
    try {
      expectRefused(await present(assertion({ cert: expired })), 700027, /Client assertion contains an invalid signature\. \[Reason - The key used is expired\./);
    } finally {
      s.entra.removeAppCertificate(s.clientId, expired.certificatePem);
    }
  });

  it("refuses an assertion outside its time window with AADSTS700024, and allows five minutes of clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    expectRefused(await present(assertion({ nowSeconds: now - 1200 })), 700024, /Client assertion is not within its valid time range\. Current time: \S+Z, assertion valid from \S+Z, expiry time of assertion \S+Z\./);
    expectRefused(await present(assertion({ nowSeconds: now + 900 })), 700024, /Client assertion is not within its valid time range\./);
    expect((await present(assertion({ nowSeconds: now - 840 }))).status).toBe(200); // expired 4 minutes ago
    expect((await present(assertion({ nowSeconds: now + 240 }))).status).toBe(200); // valid from 4 minutes on
  });

  it("refuses another audience (AADSTS700023) and an issuer or subject other than the client id (AADSTS700021)", async () => {
    expectRefused(await present(assertion({ claims: { aud: `${s.entra.url}/common/oauth2/v2.0/token` } })), 700023, /Client assertion audience claim does not match Realm issuer\./);
    expectRefused(await present(assertion({ claims: { iss: "00000000-0000-0000-0000-000000000001" } })), 700021, /Client assertion application identifier doesn't match 'client_id' parameter\./);
    expectRefused(await present(assertion({ claims: { sub: "00000000-0000-0000-0000-000000000001" } })), 700021, /Client assertion application identifier/);
  });

  it("has no client secret for the app: a client secret is refused (AADSTS7000215)", async () => {
    const res = await fetch(tokenEndpoint(), {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: s.clientId, scope: GRAPH_DEFAULT, client_secret: "not~a~secret~of~this~app" }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_codes: [7000215] });
  });
});

describe("redeeming with the certificate", () => {
  beforeEach(() => {
    seedRefreshToken(s);
  });

  const refreshRequests = () => s.entra.tokenRequests.filter((r) => r.grantType === "refresh_token");

  it("the token provider authenticates with a signed assertion and sends no client secret", async () => {
    const before = refreshRequests().length;
    const provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
    expect(await provider.getAccessToken()).toMatch(/^eyJ/);
    const made = refreshRequests().slice(before);
    expect(made.map((r) => [r.status, r.clientAuthentication])).toEqual([[200, ["client_assertion"]]]);
  });

  it("reads each secret once and looks for no deleted secret when the certificate is there and the client secret is not", async () => {
    const before = s.vault.requests.length;
    const provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
    expect(await provider.getAccessToken()).toMatch(/^eyJ/);
    const answered = s.vault.requests.slice(before).filter((r) => r.authenticated);
    expect(answered.filter((r) => r.path.includes("/deletedsecrets/"))).toEqual([]);
    const reads = answered.map((r) => `${r.name} ${r.status}`).sort();
    expect(reads).toEqual(["partnercenter-client-certificate 200", "partnercenter-client-id 200", "partnercenter-client-secret 404", "partnercenter-refresh-token 200", "partnercenter-tenant-id 200"]);
  });

  it("with neither credential in the vault, says the certificate is deleted and how to recover it", async () => {
    const own = await startStandIns();
    try {
      seedRefreshToken(own);
      own.vault.deleteSecret("partnercenter-client-certificate");
      const result = await runCli("token", ["--outputs", writeOutputsFile(own), "--json"], own.childEnv());
      expect(result.code, result.stderr).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: "app_secret_deleted", message: expect.stringContaining('The secret "partnercenter-client-certificate"') } });
      expect(own.entra.tokenRequests).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  it("npm run refresh and npm run token redeem with a signed assertion", async () => {
    const before = refreshRequests().length;
    const refreshed = await runCli("refresh", ["--outputs", writeOutputsFile(s)], s.childEnv());
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const token = await runCli("token", ["--outputs", writeOutputsFile(s)], s.childEnv());
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toMatch(/^eyJ/);
    const made = refreshRequests().slice(before);
    expect(made.length).toBeGreaterThanOrEqual(2);
    for (const request of made) expect([request.status, request.clientAuthentication]).toEqual([200, ["client_assertion"]]);
  });

  it("says which certificate Entra ID does not know, and that `pulumi up` fixes it", async () => {
    s.entra.removeAppCertificate(s.clientId, certificate().certificatePem);
    try {
      const error = await refusal(rotator().redeem(s.outputs.scopes));
      expect(error.code).toBe("client_certificate_unknown");
      expect(error.message).toContain(`SHA-256 thumbprint ${certificate().thumbprintSha256}`);
      expect(error.message).toContain("AADSTS700027");
      expect(error.hint).toMatch(/pulumi up/);
      const cli = await runCli("refresh", ["--outputs", writeOutputsFile(s)], s.childEnv());
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/certificate/);
      expect(cli.stderr).toMatch(/pulumi up/);
      expect(cli.stderr).not.toContain("PRIVATE KEY");
    } finally {
      s.entra.addAppCertificate(s.clientId, certificate().certificatePem);
    }
  });

  it("says the certificate has expired, and that `pulumi up` rotates it", async () => {
    const name = s.outputs.secretNames.clientCertificate!;
    const current = s.vault.latest(name)!;
    const expired = createClientCertificate({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    s.entra.addAppCertificate(s.clientId, expired.certificatePem);
    s.vault.setSecret(name, expired.pem, { contentType: "application/x-pem-file" });
    try {
      const error = await refusal(rotator().redeem(s.outputs.scopes));
      expect(error.code).toBe("client_certificate_expired");
      expect(error.message).toContain(`expired on ${expired.notAfter.toISOString()}`);
      expect(error.hint).toMatch(/pulumi up/);
    } finally {
      s.vault.setSecret(name, current.value, { contentType: "application/x-pem-file" });
      s.entra.removeAppCertificate(s.clientId, expired.certificatePem);
    }
  });

  it("says the machine's clock is off when Entra ID finds the assertion outside its time window", async () => {
    s.entra.advanceClock(3600);
    try {
      const error = await refusal(rotator().redeem(s.outputs.scopes));
      expect(error.code).toBe("clock_skew");
      expect(error.message).toContain("AADSTS700024");
      expect(error.message).toMatch(/certificate/);
      expect(error.hint).toMatch(/clock/);
    } finally {
      s.entra.advanceClock(-3600);
    }
  });
});

describe("npm run bootstrap with the certificate", () => {
  it("redeems the authorization code with a signed assertion and no client secret", async () => {
    const port = await freeLoopbackPort();
    const h = new BootstrapHarness(s, port);
    const before = s.entra.tokenRequests.length;
    const { result } = await h.signInAndFinish(["--no-browser", "--json", "--timeout", "30"]);
    expect(result.code, result.stderr).toBe(0);
    const codeRedemptions = s.entra.tokenRequests.slice(before).filter((r) => r.grantType === "authorization_code");
    expect(codeRedemptions.map((r) => [r.status, r.clientAuthentication])).toEqual([[200, ["client_assertion"]]]);
  });
});
