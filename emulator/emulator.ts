/**
 * `startEmulator()`: Entra ID, Key Vault, Partner Center and Microsoft Graph on
 * loopback, wired together the way `pulumi up` leaves the real services — one
 * partner tenant, the app registration with its certificate (or client secret)
 * and redirect URI, users, a vault holding the app's credentials, optional
 * customer tenants with their GDAP relationships, consent and policies (./estate) — plus the
 * stack outputs, the environment a child process needs, and an Azure
 * credential the emulated vault accepts.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CERTIFICATE_THUMBPRINT_TAG,
  CLIENT_CERTIFICATE_CONTENT_TYPE,
  DEFAULT_REDIRECT_URI,
  DEFAULT_SECRET_NAMES,
  adminConsentUrl,
  partnerCenterScope,
  type SecretNames,
} from "../bootstrap/src/core/contract";
import { storeRefreshToken, type StoreRefreshTokenOptions, type StoredRefreshTokenInfo } from "./bootstrap-state";
import { createClientCertificate, createEmulatorTls } from "./certificates";
import { EntraEmulator, type EntraApp } from "./entra";
import { DEFAULT_CUSTOMER_GRAPH_SCOPES, applyCustomer } from "./estate";
import { GraphEmulator } from "./graph";
import { KeyVaultEmulator } from "./key-vault";
import { PartnerCenterEmulator } from "./partner-center";
import { completeSignIn } from "./sign-in";
import { trustCertificateInProcess } from "./trust";
import { WebhookSink } from "./webhooks";
import type { EmulatorUserOptions, StartEmulatorOptions, EmulatorUser, EmulatorCustomer, EmulatorStackOutputs, Emulator } from "./emulator-types";

export type { EmulatorUserOptions, EmulatorCustomerOptions, StartEmulatorOptions, EmulatorUser, EmulatorCustomer, EmulatorStackOutputs, Emulator } from "./emulator-types";
import { install as resolveLocalhostNames } from "partner-center-sam/emulator/localhost-names.cjs";

/** The preload a child process needs to resolve `*.localhost` (the vault's host name). */
const LOCALHOST_NAMES_PRELOAD = require.resolve("partner-center-sam/emulator/localhost-names-preload.cjs");

const DEFAULT_USER: EmulatorUserOptions = { username: "admin@contoso.example", displayName: "Avery Admin", mfa: true };
const CLIENT_SECRET_LIFETIME_DAYS = 200;
const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

/** Random values, or values derived from a seed so every start is the same. */
function valueSource(seed: string | undefined) {
  const bytes = (label: string, n: number): Buffer =>
    seed === undefined ? randomBytes(n) : createHash("sha512").update(`${seed}\0${label}`).digest().subarray(0, n);
  return {
    uuid(label: string): string {
      if (seed === undefined) return randomUUID();
      const b = Buffer.from(bytes(label, 16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = b.toString("hex");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    token(label: string, n: number): string {
      return bytes(label, n).toString("base64url");
    },
    digits(label: string): string {
      return String(100000 + (bytes(label, 4).readUInt32BE(0) % 900000));
    },
  };
}

/** Starts the emulator. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const values = valueSource(options.seed);
  const tls = options.tls ?? createEmulatorTls();
  const tenantId = values.uuid("tenant");
  const clientId = values.uuid("client");
  const appCredential = options.appCredential ?? "certificate";
  const { clientSecret: defaultSecretName, clientCertificate: defaultCertificateName, ...commonNames } = DEFAULT_SECRET_NAMES;
  const clientSecret = appCredential === "secret" ? `${values.token("secret-prefix", 3)}~${values.token("secret", 27)}` : undefined;
  const clientCertificate = appCredential === "certificate" ? createClientCertificate(options.certificate) : undefined;
  const secretNames: SecretNames = {
    ...(options.secretNames ?? (clientCertificate ? { ...commonNames, clientCertificate: defaultCertificateName } : { ...commonNames, clientSecret: defaultSecretName })),
  };
  const multiTenant = options.multiTenant ?? (options.customers?.length ?? 0) > 0;
  const basePort = options.port;
  if (basePort !== undefined && (!Number.isInteger(basePort) || basePort < 1 || basePort > 65532)) {
    throw new RangeError(`startEmulator: port must be an integer from 1 to 65532 (four consecutive ports are used), got ${basePort}`);
  }

  const entra = new EntraEmulator({ tls, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds, signInPagesOverHttp: options.signInPagesOverHttp });
  const keyVault = new KeyVaultEmulator({ tls, entra, tenantId, name: options.vaultName ?? "pcsam-emulator" });
  const partnerCenter = new PartnerCenterEmulator({ tls, entra, organization: { tenantId, ...options.organization } });
  const webhookSink = new WebhookSink(tls);
  const graph = new GraphEmulator({ tls, entra });
  const scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-emulator-"));
  const undo: Array<() => void> = [];
  try {
    await entra.start(basePort);
    await keyVault.start(basePort === undefined ? undefined : basePort + 1);
    await partnerCenter.start(basePort === undefined ? undefined : basePort + 2);
    await webhookSink.start();
    await graph.start(basePort === undefined ? undefined : basePort + 3);
  } catch (err) {
    await Promise.allSettled([entra.stop(), keyVault.stop(), partnerCenter.stop(), webhookSink.stop(), graph.stop()]);
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }

  entra.addTenant(tenantId);
  const app: EntraApp = entra.registerApp({
    tenantId,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    certificates: clientCertificate && options.certificate?.registered !== false ? [clientCertificate.certificatePem] : [],
    redirectUris: [DEFAULT_REDIRECT_URI],
    displayName: "Partner Center SAM",
    adminConsentedScopes: options.partnerGraphScopes ?? [GRAPH_DEFAULT],
    multiTenant,
    applicationObjectId: values.uuid("application"),
    servicePrincipalObjectId: values.uuid("service-principal"),
  });
  const users = (options.users?.length ? options.users : [DEFAULT_USER]).map((u, i): EmulatorUser => {
    const mfa = u.mfa ?? true;
    const user = entra.addUser({
      tenantId,
      username: u.username,
      password: u.password ?? values.token(`password-${i}`, 12),
      mfa,
      mfaCode: mfa ? (u.mfaCode ?? values.digits(`mfa-${i}`)) : "",
      displayName: u.displayName ?? u.username.split("@")[0],
      oid: values.uuid(`user-${i}`),
    });
    return { username: user.username, password: user.password, mfa, mfaCode: user.mfaCode, displayName: user.displayName, oid: user.oid };
  });

  const customerGraphScopes = [...(options.customerGraphScopes ?? DEFAULT_CUSTOMER_GRAPH_SCOPES)];
  // The partner's own tenant in Graph (its /organization), then each customer's state (./estate).
  graph.addTenant({ id: tenantId, displayName: options.organization?.companyName ?? partnerCenter.organization.companyName, domains: [partnerCenter.organization.domain ?? "contoso.example"] });
  const estate = { entra, partnerCenter, graph, partnerTenantId: tenantId, clientId, user: { username: users[0].username, oid: users[0].oid }, groups: new Map() };
  const customers = (options.customers ?? []).map((c, i): EmulatorCustomer => {
    const customer = {
      tenantId: (c.tenantId ?? values.uuid(`customer-${i}`)).toLowerCase(),
      domain: c.domain ?? `customer${i + 1}.onmicrosoft.com`,
      displayName: c.displayName ?? `Customer ${i + 1}`,
    };
    applyCustomer(estate, customer, c, i);
    // Consented through Partner Center (its applicationconsents), with the stack's customerGraphScopes, as `consent` does: both services agree.
    if (c.consented && c.inPartnerCenter !== false) partnerCenter.consentApplication(customer.tenantId, clientId, c.consented === true ? customerGraphScopes : c.consented);
    return customer;
  });

  const clientSecretExpiresOn = new Date(Date.now() + CLIENT_SECRET_LIFETIME_DAYS * 24 * 3600 * 1000);
  if (options.seedVault ?? true) {
    keyVault.setSecret(secretNames.clientId, clientId, { contentType: "text/plain" });
    keyVault.setSecret(secretNames.tenantId, tenantId, { contentType: "text/plain" });
    if (clientSecret && secretNames.clientSecret) {
      keyVault.setSecret(secretNames.clientSecret, clientSecret, { contentType: "text/plain", expiresOn: clientSecretExpiresOn });
    }
    if (clientCertificate && secretNames.clientCertificate) {
      keyVault.setSecret(secretNames.clientCertificate, clientCertificate.pem, {
        contentType: CLIENT_CERTIFICATE_CONTENT_TYPE,
        expiresOn: clientCertificate.notAfter,
        tags: { [CERTIFICATE_THUMBPRINT_TAG]: clientCertificate.thumbprintSha256 },
      });
    }
  }

  const outputs: EmulatorStackOutputs = {
    tenantId,
    clientId,
    applicationObjectId: app.applicationObjectId,
    servicePrincipalObjectId: app.servicePrincipalObjectId,
    redirectUri: DEFAULT_REDIRECT_URI,
    keyVaultName: keyVault.name,
    keyVaultUri: keyVault.url,
    secretNames,
    scopes: [partnerCenterScope(partnerCenter.url)],
    authorityHost: entra.url,
    partnerCenterEndpoint: partnerCenter.url,
    graphEndpoint: graph.url,
    ...(clientCertificate
      ? { clientCertificateExpiresAt: clientCertificate.notAfter.toISOString(), clientCertificateThumbprint: clientCertificate.thumbprintSha256 }
      : { clientSecretExpiresAt: clientSecretExpiresOn.toISOString() }),
    adminConsentUrl: adminConsentUrl(entra.url, tenantId, clientId),
    multiTenant,
    customerGraphScopes: multiTenant ? customerGraphScopes : [],
    // What `pulumi up` exports with none of customerInclude, customerExclude and gdapRoles set.
    customerInclude: [],
    customerExclude: [],
    gdapRoles: [],
  };

  const caCertificateFile = path.join(scratch, "emulator-ca.pem");
  writeFileSync(caCertificateFile, tls.ca, { mode: 0o600 });
  if (options.trustInProcess ?? true) undo.push(trustCertificateInProcess(tls.ca), resolveLocalhostNames());
  const env = {
    NODE_EXTRA_CA_CERTS: caCertificateFile,
    NODE_OPTIONS: `--require ${/\s/.test(LOCALHOST_NAMES_PRELOAD) ? JSON.stringify(LOCALHOST_NAMES_PRELOAD) : LOCALHOST_NAMES_PRELOAD}`,
    AZURE_AUTHORITY_HOST: entra.url,
    ...entra.managedIdentityEnv(),
  };

  const bootstrapContext = { entra, keyVault, tenantId, clientId, scopes: outputs.scopes, secretNames };
  const storeToken = (storeOptions: StoreRefreshTokenOptions = {}): StoredRefreshTokenInfo =>
    storeRefreshToken(bootstrapContext, storeOptions.user ?? users[0].username, storeOptions);
  if (options.bootstrapped) storeToken();

  let closed = false;
  return {
    authorityHost: entra.url,
    keyVaultUri: keyVault.url,
    partnerCenterEndpoint: partnerCenter.url,
    graphEndpoint: graph.url,
    tenantId,
    clientId,
    users,
    customers,
    outputs,
    caCertificate: tls.ca,
    caCertificateFile,
    env,
    credential: entra.credential(),
    entra,
    keyVault,
    partnerCenter,
    webhookSink,
    webhooks: webhookSink.received,
    webhookUrl: (kind) => webhookSink.url(kind),
    graph,
    ...(clientSecret ? { clientSecret } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
    writeOutputs(file = path.join(scratch, "stack.outputs.json")) {
      writeFileSync(file, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
      return file;
    },
    storeRefreshToken: storeToken,
    signIn: (signInOptions = {}) => completeSignIn(entra, users, signInOptions),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([graph.stop(), partnerCenter.stop(), keyVault.stop(), entra.stop(), webhookSink.stop()]);
      for (const fn of undo.splice(0)) fn();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
