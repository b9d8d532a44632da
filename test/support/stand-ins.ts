/**
 * The tests' one way to start the services: the emulator (emulator/) on the
 * test run's CA, with the tenant, app, MFA admin and seeded vault every test
 * starts from, plus what only tests need — `childEnv()` for CLI child
 * processes (trusted CA, managed identity, loopback-only guard) and the check
 * that no child process tried to leave the loopback interface.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SecretNames } from "../../bootstrap/src/core/contract";
import { startEmulator, type EmulatorCustomer, type EmulatorCustomerOptions, type EmulatorStackOutputs, type EmulatorUser, type Emulator } from "../../emulator";
import type { EntraEmulator } from "../../emulator/entra";
import type { KeyVaultEmulator } from "../../emulator/key-vault";
import type { OrganizationProfile, PartnerCenterEmulator } from "../../emulator/partner-center";
import { testTls } from "./global-setup";
import { LOOPBACK_ONLY_CJS } from "./loopback-guard";
import { recordStarted } from "./started";

/** Options of {@link startStandIns}. */
export interface StartStandInsOptions {
  /** Also add `user@contoso.example`, a user without MFA. */
  nonMfaUser?: boolean;
  /** Vault name (default `pcsam-test-kv`). */
  vaultName?: string;
  /** Secret names (default the contract's). */
  secretNames?: SecretNames;
  /** The app's credential: `certificate` (default, as the stack's default) or `secret` (a client secret). */
  appCredential?: "certificate" | "secret";
  /** Seed the vault with client id, tenant id and client secret (default true). */
  seedVault?: boolean;
  /** Overrides for the Partner Center organization profile. */
  organization?: Partial<OrganizationProfile>;
  /** Access-token lifetime at Entra (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /** Customer tenants Entra also serves (default none). */
  customers?: EmulatedCustomerOptions[];
  /** Register the app as multi-tenant (AzureADMultipleOrgs). Default: true when `customers` are given, else false. */
  multiTenant?: boolean;
  /** The Graph scopes an admin consented to in the partner tenant (default every one). */
  partnerGraphScopes?: string[];
}

/** A customer tenant of the partner (GDAP), as {@link startStandIns} sets it up. */
export type EmulatedCustomerOptions = EmulatorCustomerOptions;

/** A customer tenant the stand-ins serve. */
export type EmulatedCustomer = EmulatorCustomer;

/** A user the stand-ins know, with the credentials the sign-in pages accept (mfaCode is "" without MFA). */
export type StandInUser = EmulatorUser;

/** The stack outputs, exactly as `pulumi stack output --json --show-secrets` prints them. */
export type StackOutputs = EmulatorStackOutputs;

/** Running stand-ins and what tests need to drive them. */
export interface StandIns {
  /** The emulator behind them. */
  emulator: Emulator;
  entra: EntraEmulator;
  vault: KeyVaultEmulator;
  partnerCenter: PartnerCenterEmulator;
  tenantId: string;
  clientId: string;
  /** With `appCredential: "secret"`. */
  clientSecret?: string;
  /** With the default `appCredential: "certificate"`: the app's certificate and key, as the vault holds them. */
  clientCertificate?: Emulator["clientCertificate"];
  users: { admin: StandInUser; nonMfa?: StandInUser };
  /** The customer tenants of {@link StartStandInsOptions.customers}, in order. */
  customers: EmulatedCustomer[];
  outputs: StackOutputs;
  /**
   * Environment for a CLI child process: this process's environment without
   * AZURE_*, IDENTITY_*, MSI_*, IMDS_* variables, plus NODE_EXTRA_CA_CERTS,
   * the managed-identity variables, the loopback-only guard in NODE_OPTIONS and
   * PCSAM_BLOCKED_LOG, plus XDG_CACHE_HOME in a scratch folder and
   * PARTNER_CENTER_SAM_NO_CACHE=1 (the shared token cache off). `extra` wins; an `undefined` value removes a variable.
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

/** Starts the emulator (on the test run's CA) for one tenant and one app, as the tests need it. */
export async function startStandIns(options: StartStandInsOptions = {}): Promise<StandIns> {
  const emu = await startEmulator({
    tls: testTls(),
    // The workers trust the test run's CA through NODE_EXTRA_CA_CERTS (global setup).
    trustInProcess: false,
    vaultName: options.vaultName ?? "pcsam-test-kv",
    secretNames: options.secretNames,
    seedVault: options.seedVault,
    appCredential: options.appCredential,
    organization: options.organization,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds,
    customers: options.customers,
    multiTenant: options.multiTenant,
    partnerGraphScopes: options.partnerGraphScopes,
    users: [
      { username: ADMIN_USERNAME, displayName: "Avery Admin", mfa: true },
      ...(options.nonMfaUser ? [{ username: NON_MFA_USERNAME, displayName: "Una User", mfa: false }] : []),
    ],
  });
  const { entra, keyVault: vault, partnerCenter, tenantId, clientId, clientSecret, clientCertificate, customers, outputs } = emu;
  const [admin, nonMfa] = emu.users;
  const users = { admin, ...(nonMfa ? { nonMfa } : {}) };

  const scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-stand-ins-"));
  const blockedLog = path.join(scratch, "blocked.log");
  writeFileSync(blockedLog, "");
  const readBlocked = (): string[] =>
    existsSync(blockedLog) ? readFileSync(blockedLog, "utf8").split("\n").filter((l) => l && !l.startsWith(" ")) : [];

  const standIns: StandIns = {
    emulator: emu,
    entra,
    vault,
    partnerCenter,
    tenantId,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
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
      // The shared access-token cache lives in this run's scratch folder, never the user's, and is off unless a
      // test turns it on ({ PARTNER_CENTER_SAM_NO_CACHE: undefined }): most tests count the redemptions a command makes.
      env.XDG_CACHE_HOME = path.join(scratch, "cache");
      env.PARTNER_CENTER_SAM_NO_CACHE = "1";
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
      await emu.close();
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
  recordStarted(standIns);
  return standIns;
}
