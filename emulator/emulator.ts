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
import type { TokenCredential } from "@azure/core-auth";
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
import { createClientCertificate, createEmulatorTls, type ClientCertificateMaterial, type EmulatorTls } from "./certificates";
import { EntraEmulator, type EntraApp, type EntraUser } from "./entra";
import { DEFAULT_CUSTOMER_GRAPH_SCOPES, applyCustomer, type CustomerState, type EmulatorGdapOptions } from "./estate";
import { GraphEmulator } from "./graph";
import { KeyVaultEmulator } from "./key-vault";
import { PartnerCenterEmulator, type OrganizationProfile } from "./partner-center";
import { completeSignIn, type EmulatorSignInOptions } from "./sign-in";
import { trustCertificateInProcess } from "./trust";
import { WebhookSink, type ReceivedWebhook, type WebhookKind } from "./webhooks";
import { install as resolveLocalhostNames } from "partner-center-sam/emulator/localhost-names.cjs";

/** The preload a child process needs to resolve `*.localhost` (the vault's host name). */
const LOCALHOST_NAMES_PRELOAD = require.resolve("partner-center-sam/emulator/localhost-names-preload.cjs");

/** A user of the partner tenant. */
export interface EmulatorUserOptions {
  /** User principal name, e.g. `admin@contoso.example`. */
  username: string;
  displayName?: string;
  /** The sign-in asks for a one-time code and tokens say `amr: ["pwd","mfa"]` (default true). */
  mfa?: boolean;
  /** Default: random (derived from `seed` when given). */
  password?: string;
  /** The code the MFA page accepts, 6 digits. Default: random (derived from `seed` when given). */
  mfaCode?: string;
}

/**
 * A customer tenant of the partner and its state (reached through GDAP): see {@link CustomerState} and
 * docs/emulator-estate.md. `gdap: true` is an active relationship whose security group holds the first user.
 */
export interface EmulatorCustomerOptions extends CustomerState {
  /** Default: a random GUID (derived from `seed` when given). */
  tenantId?: string;
  /** A verified domain. Default `customer<n>.onmicrosoft.com`. */
  domain?: string;
  /** Default `Customer <n>`. */
  displayName?: string;
  /**
   * The app is consented into the tenant through Partner Center's application consents (listed there, and
   * present in the customer's Entra tenant): `true` = the emulator's `customerGraphScopes`, or the Graph scope
   * names granted. Default false.
   */
  consented?: boolean | string[];
  /** A GDAP relationship (and, while it is active, a role for the first user). Default false: none. */
  gdap?: boolean | EmulatorGdapOptions;
}

/** Options of {@link startEmulator}; all optional. */
export interface StartEmulatorOptions {
  /** First of four consecutive loopback ports: Entra ID, Key Vault, Partner Center, Microsoft Graph. Default: free ports. */
  port?: number;
  /** Users of the partner tenant; the first is the one who signs in. Default: one MFA user, `admin@contoso.example`. */
  users?: EmulatorUserOptions[];
  /** Customer tenants. Default none (the `emulator` command and the demo use {@link defaultEstate}). */
  customers?: EmulatorCustomerOptions[];
  /**
   * The Microsoft Graph delegated scopes (bare names) the app is consented to in customer tenants, exported as the
   * `customerGraphScopes` stack output when the app is multi-tenant (as `pulumi up` does); a customer consented to
   * fewer is stale. Default: User.Read.All and Directory.Read.All.
   */
  customerGraphScopes?: string[];
  /**
   * The Graph delegated scopes an administrator consented to in the partner tenant (what the stack's `graphScopes`
   * become). Default: `.default` — every Graph scope, DelegatedAdminRelationship.Read.All included.
   */
  partnerGraphScopes?: string[];
  /** Derive ids, the client secret and user credentials from this text, so every start gives the same outputs. Default: random. */
  seed?: string;
  /** Register the app as multi-tenant. Default: true when `customers` are given. */
  multiTenant?: boolean;
  /** Vault name, the first label of the vault URI. Default `pcsam-emulator`. */
  vaultName?: string;
  /** Secret names in the vault. Default: the stack's defaults for the app credential (certificate or client secret). */
  secretNames?: SecretNames;
  /**
   * How the app authenticates, as the stack's `appCredential`: `certificate` (default) — a
   * certificate registered on the app and stored in the vault, client assertions checked
   * as Entra checks them, no client secret — or `secret`, a client secret.
   */
  appCredential?: "certificate" | "secret";
  /**
   * The certificate to make (with `appCredential: certificate`): its validity (default: from
   * a minute ago for 180 days; a past `notAfter` gives an expired certificate), and whether the
   * app registration knows it (default true; false gives a certificate Entra rejects with AADSTS700027).
   */
  certificate?: { notBefore?: Date; notAfter?: Date; registered?: boolean };
  /** Store the app's client id, tenant id and credential in the vault, as `pulumi up` does. Default true. */
  seedVault?: boolean;
  /** Overrides for Partner Center's organization profile. */
  organization?: Partial<OrganizationProfile>;
  /** Lifetime of access tokens in seconds. Default 3600. */
  accessTokenLifetimeSeconds?: number;
  /**
   * Also serve Entra ID's sign-in pages on plain `http://localhost`, so a browser
   * that does not trust the emulator's CA shows no certificate warning (real
   * Entra ID: HTTPS only). Default false.
   */
  signInPagesOverHttp?: boolean;
  /** Key and certificates to serve with. Default: a new CA and server certificate made now. */
  tls?: EmulatorTls;
  /**
   * Until `close()`, make this process trust the emulator's CA and resolve
   * `*.localhost` names (the vault's host) as `localhost`. Default true.
   */
  trustInProcess?: boolean;
  /** Start as if `npm run bootstrap` had run: the first user's refresh token is in the vault. Default false (as after `pulumi up`). */
  bootstrapped?: boolean;
}

/** A user the emulator knows, with the credentials its sign-in pages accept (`mfaCode` is "" without MFA). */
export type EmulatorUser = Omit<EntraUser, "tenantId" | "amr">;

/** A customer tenant the emulator serves. */
export interface EmulatorCustomer {
  tenantId: string;
  domain: string;
  displayName: string;
}

/** The stack outputs, as `pulumi stack output --json --show-secrets` prints them. */
export interface EmulatorStackOutputs {
  tenantId: string;
  clientId: string;
  applicationObjectId: string;
  servicePrincipalObjectId: string;
  redirectUri: string;
  keyVaultName: string;
  keyVaultUri: string;
  secretNames: SecretNames;
  scopes: string[];
  authorityHost: string;
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint (the stack's config `graphEndpoint`; the emulator's own Graph). */
  graphEndpoint: string;
  /** With `appCredential: secret`. */
  clientSecretExpiresAt?: string;
  /** With `appCredential: certificate`. */
  clientCertificateExpiresAt?: string;
  clientCertificateThumbprint?: string;
  adminConsentUrl: string;
  multiTenant: boolean;
  customerGraphScopes: string[];
  /** The stack's customerInclude / customerExclude (customer tenant ids) and gdapRoles (role template ids); empty here. */
  customerInclude: string[];
  customerExclude: string[];
  gdapRoles: string[];
}

/** A running emulator. */
export interface Emulator {
  /** Entra ID's authority host, e.g. `https://localhost:41234`. */
  authorityHost: string;
  /** The vault URI, e.g. `https://pcsam-emulator.vault.localhost:41235/`. */
  keyVaultUri: string;
  /** Partner Center's API endpoint. */
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint, e.g. `https://localhost:41237` (requests go to `${graphEndpoint}/v1.0/…`). */
  graphEndpoint: string;
  tenantId: string;
  clientId: string;
  users: EmulatorUser[];
  customers: EmulatorCustomer[];
  outputs: EmulatorStackOutputs;
  /** The emulator CA certificate (PEM). */
  caCertificate: string;
  /** A file holding {@link caCertificate}, for `NODE_EXTRA_CA_CERTS` or a browser. */
  caCertificateFile: string;
  /**
   * The environment a child process needs: the CA (`NODE_EXTRA_CA_CERTS`), the
   * `*.localhost` resolver (`NODE_OPTIONS`), the managed identity the vault
   * accepts and the authority host.
   */
  env: Record<string, string>;
  /** An Azure credential the emulated vault accepts (the deployer's identity, a Key Vault Secrets Officer). */
  credential: TokenCredential;
  /** The services, for tests that need more than the above (fault injection, inspection). */
  entra: EntraEmulator;
  keyVault: KeyVaultEmulator;
  partnerCenter: PartnerCenterEmulator;
  /** The webhook sink `--notify` targets can post to (on a free loopback port of its own). */
  webhookSink: WebhookSink;
  /** What was posted to the webhook sink (path, headers, body), oldest first. */
  webhooks: ReceivedWebhook[];
  /** A `--notify` target posting to the webhook sink: `teams+https://…`, `slack+https://…` or `https://…`. */
  webhookUrl(kind: WebhookKind): string;
  graph: GraphEmulator;
  /** The app's client secret (what the vault holds), with `appCredential: secret`. */
  clientSecret?: string;
  /** The app's certificate and key (what the vault holds), with `appCredential: certificate`. */
  clientCertificate?: ClientCertificateMaterial;
  /** Writes {@link outputs} as JSON to `file` (default: `stack.outputs.json` in the emulator's temp folder) and returns the path. */
  writeOutputs(file?: string): string;
  /** Stores a refresh token the way `npm run bootstrap` does (as {@link StartEmulatorOptions.bootstrapped} does at start). */
  storeRefreshToken(options?: StoreRefreshTokenOptions): StoredRefreshTokenInfo;
  /** Completes an interactive sign-in without a browser; resolves once the sign-in's redirect was delivered. */
  signIn(options?: EmulatorSignInOptions): Promise<void>;
  /** Stops the services, takes back the in-process trust and removes the temp folder. */
  close(): Promise<void>;
}

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
