/**
 * The shapes of `startEmulator()`: its options (users, customers and their
 * estate state, the app credential, ports, seed) and what a running emulator
 * offers (endpoints, stack outputs, services, sign-in, webhook sink).
 */
import type { TokenCredential } from "@azure/core-auth";
import type { SecretNames } from "../bootstrap/src/core/contract";
import type { StoreRefreshTokenOptions, StoredRefreshTokenInfo } from "./bootstrap-state";
import type { ClientCertificateMaterial, EmulatorTls } from "./certificates";
import type { EntraEmulator, EntraUser } from "./entra";
import type { CustomerState, EmulatorGdapOptions } from "./estate";
import type { GraphEmulator } from "./graph";
import type { KeyVaultEmulator } from "./key-vault";
import type { OrganizationProfile, PartnerCenterEmulator } from "./partner-center";
import type { EmulatorSignInOptions } from "./sign-in";
import type { ReceivedWebhook, WebhookKind, WebhookSink } from "./webhooks";

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

/** Options of `startEmulator`; all optional. */
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

