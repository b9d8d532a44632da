/**
 * Starts the three stand-ins wired together the way `pulumi up` leaves the
 * real services: one tenant, the app registration, an MFA admin user, a vault
 * seeded with the app's credentials, and the stack outputs pointing at all of
 * it. `childEnv()` gives CLI child processes the same view (trusted CA,
 * managed identity, loopback-only guard).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_SECRET_NAMES, DEFAULT_REDIRECT_URI, adminConsentUrl, partnerCenterScope, type SecretNames } from "../../bootstrap/src/contract";
import { EntraStandIn, type EntraUser } from "../../emulator/entra";
import { testTls } from "./global-setup";
import { randomToken } from "../../emulator/http";
import { KeyVaultStandIn } from "../../emulator/key-vault";
import { LOOPBACK_ONLY_CJS } from "./loopback-guard";
import { PartnerCenterStandIn, type OrganizationProfile } from "../../emulator/partner-center";

/** Options of {@link startStandIns}. */
export interface StartStandInsOptions {
  /** Also add `user@contoso.example`, a user without MFA. */
  nonMfaUser?: boolean;
  /** Vault name (default `pcsam-test-kv`). */
  vaultName?: string;
  /** Secret names (default the contract's). */
  secretNames?: SecretNames;
  /** Seed the vault with client id, tenant id and client secret (default true). */
  seedVault?: boolean;
  /** Overrides for the Partner Center organization profile. */
  organization?: Partial<OrganizationProfile>;
  /** Access-token lifetime at Entra (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /** Customer tenants Entra also serves (default none). */
  customers?: StandInCustomerOptions[];
  /** Register the app as multi-tenant (AzureADMultipleOrgs). Default: true when `customers` are given, else false. */
  multiTenant?: boolean;
}

/** A customer tenant of the partner (GDAP), as {@link startStandIns} sets it up. */
export interface StandInCustomerOptions {
  /** Default: a random GUID. */
  tenantId?: string;
  /** A verified domain of the tenant. Default `customer<n>.onmicrosoft.com`. */
  domain?: string;
  /** Default `Customer <n>`. */
  displayName?: string;
  /**
   * The app is consented into the tenant (as Partner Center's applicationconsents
   * does): `true` = Microsoft Graph `.default`, or the scopes to grant. Default false.
   */
  consented?: boolean | string[];
  /** The MFA admin holds a GDAP role in the tenant. Default false. */
  gdap?: boolean;
}

/** A customer tenant the stand-ins serve. */
export interface StandInCustomer {
  tenantId: string;
  domain: string;
  displayName: string;
}

/** A user the stand-ins know, with the credentials the sign-in pages accept (mfaCode is "" without MFA). */
export type StandInUser = Omit<EntraUser, "tenantId">;

/** The stack outputs, exactly as `pulumi stack output --json --show-secrets` prints them. */
export interface StackOutputs {
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
  clientSecretExpiresAt: string;
  adminConsentUrl: string;
}

/** Running stand-ins and what tests need to drive them. */
export interface StandIns {
  entra: EntraStandIn;
  vault: KeyVaultStandIn;
  partnerCenter: PartnerCenterStandIn;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  users: { admin: StandInUser; nonMfa?: StandInUser };
  /** The customer tenants of {@link StartStandInsOptions.customers}, in order. */
  customers: StandInCustomer[];
  outputs: StackOutputs;
  /**
   * Environment for a CLI child process: this process's environment without
   * AZURE_*, IDENTITY_*, MSI_*, IMDS_* variables, plus NODE_EXTRA_CA_CERTS,
   * the managed-identity variables, the loopback-only guard in NODE_OPTIONS and
   * PCSAM_BLOCKED_LOG. `extra` wins; an `undefined` value removes a variable.
   */
  childEnv(extra?: Record<string, string | undefined>): Record<string, string>;
  /** Lines child processes (started with {@link childEnv}) logged for refused connections. */
  blockedConnections(): string[];
  /** Forgets those lines, after a test has asserted on them. */
  clearBlockedConnections(): void;
  /** Stops everything, then throws if child processes logged refused connections that no test cleared. */
  stop(): Promise<void>;
}

const ADMIN_USERNAME = "admin@contoso.example";
const NON_MFA_USERNAME = "user@contoso.example";
const CLIENT_SECRET_LIFETIME_DAYS = 200;

function mfaCode(): string {
  return String(100000 + Math.floor(Math.random() * 900000));
}

/** Starts Entra, Key Vault and Partner Center stand-ins for one tenant and one app. */
export async function startStandIns(options: StartStandInsOptions = {}): Promise<StandIns> {
  const tls = testTls();
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = `${randomToken(3)}~${randomToken(27)}`;
  const secretNames = { ...(options.secretNames ?? DEFAULT_SECRET_NAMES) };

  const entra = new EntraStandIn({ tls, accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds });
  const vault = new KeyVaultStandIn({ tls, entra, tenantId, name: options.vaultName });
  const partnerCenter = new PartnerCenterStandIn({ tls, entra, organization: { tenantId, ...options.organization } });
  await entra.start();
  try {
    await vault.start();
    await partnerCenter.start();
  } catch (err) {
    await Promise.allSettled([entra.stop(), vault.stop(), partnerCenter.stop()]);
    throw err;
  }

  entra.addTenant(tenantId);
  const app = entra.registerApp({
    tenantId,
    clientId,
    clientSecret,
    redirectUris: [DEFAULT_REDIRECT_URI],
    displayName: "Partner Center SAM",
    adminConsentedScopes: ["https://graph.microsoft.com/.default"],
    multiTenant: options.multiTenant ?? (options.customers?.length ?? 0) > 0,
  });
  const addUser = (username: string, mfa: boolean, displayName: string): StandInUser => {
    const user = entra.addUser({ tenantId, username, password: randomToken(12), mfa, mfaCode: mfa ? mfaCode() : "", displayName });
    return { username, password: user.password, mfa, mfaCode: user.mfaCode, displayName, oid: user.oid };
  };
  const users = {
    admin: addUser(ADMIN_USERNAME, true, "Avery Admin"),
    ...(options.nonMfaUser ? { nonMfa: addUser(NON_MFA_USERNAME, false, "Una User") } : {}),
  };

  const customers = (options.customers ?? []).map((c, i): StandInCustomer => {
    const customer = { tenantId: (c.tenantId ?? randomUUID()).toLowerCase(), domain: c.domain ?? `customer${i + 1}.onmicrosoft.com`, displayName: c.displayName ?? `Customer ${i + 1}` };
    entra.addTenant(customer.tenantId, { domains: [customer.domain], displayName: customer.displayName });
    if (c.consented) entra.consentAppInTenant(customer.tenantId, clientId, c.consented === true ? ["https://graph.microsoft.com/.default"] : c.consented);
    if (c.gdap) entra.grantGdapRole(customer.tenantId, ADMIN_USERNAME);
    return customer;
  });

  const clientSecretExpiresOn = new Date(Date.now() + CLIENT_SECRET_LIFETIME_DAYS * 24 * 3600 * 1000);
  if (options.seedVault ?? true) {
    vault.setSecret(secretNames.clientId, clientId, { contentType: "text/plain" });
    vault.setSecret(secretNames.tenantId, tenantId, { contentType: "text/plain" });
    vault.setSecret(secretNames.clientSecret, clientSecret, { contentType: "text/plain", expiresOn: clientSecretExpiresOn });
  }

  const outputs: StackOutputs = {
    tenantId,
    clientId,
    applicationObjectId: app.applicationObjectId,
    servicePrincipalObjectId: app.servicePrincipalObjectId,
    redirectUri: DEFAULT_REDIRECT_URI,
    keyVaultName: vault.name,
    keyVaultUri: vault.url,
    secretNames,
    scopes: [partnerCenterScope(partnerCenter.url)],
    authorityHost: entra.url,
    partnerCenterEndpoint: partnerCenter.url,
    clientSecretExpiresAt: clientSecretExpiresOn.toISOString(),
    adminConsentUrl: adminConsentUrl(entra.url, tenantId, clientId),
  };

  const scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-stand-ins-"));
  const blockedLog = path.join(scratch, "blocked.log");
  writeFileSync(blockedLog, "");
  const readBlocked = (): string[] =>
    existsSync(blockedLog) ? readFileSync(blockedLog, "utf8").split("\n").filter((l) => l && !l.startsWith(" ")) : [];

  return {
    entra,
    vault,
    partnerCenter,
    tenantId,
    clientId,
    clientSecret,
    users,
    customers,
    outputs,
    childEnv(extra = {}) {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) env[k] = v;
      }
      const ca = process.env.PCSAM_TEST_CA;
      if (!ca) throw new Error("childEnv(): PCSAM_TEST_CA is not set; run under the vitest globalSetup");
      env.NODE_EXTRA_CA_CERTS = ca;
      Object.assign(env, entra.managedIdentityEnv());
      const guard = `--require ${/\s/.test(LOOPBACK_ONLY_CJS) ? JSON.stringify(LOOPBACK_ONLY_CJS) : LOOPBACK_ONLY_CJS}`;
      env.NODE_OPTIONS = [process.env.NODE_OPTIONS, guard].filter(Boolean).join(" ");
      env.PCSAM_BLOCKED_LOG = blockedLog;
      for (const [k, v] of Object.entries(extra)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      return env;
    },
    blockedConnections: readBlocked,
    clearBlockedConnections() {
      writeFileSync(blockedLog, "");
    },
    async stop() {
      await Promise.allSettled([partnerCenter.stop(), vault.stop(), entra.stop()]);
      const leftover = readBlocked();
      rmSync(scratch, { recursive: true, force: true });
      if (leftover.length) {
        throw new Error(
          `CLI child processes attempted connections outside the loopback interface:\n${leftover.join("\n")}\n` +
            "A test that provokes this on purpose must assert on blockedConnections() and then call clearBlockedConnections().",
        );
      }
    },
  };
}
