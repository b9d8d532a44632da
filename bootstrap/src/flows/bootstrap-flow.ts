import type { TokenCredential } from "@azure/core-auth";
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import { hasMfaClaim, readAccessTokenClaims, signedInUser } from "../entra/jwt-claims";
import { signInInteractively } from "../sign-in/interactive-sign-in";
import type { BrowserEnvironment } from "../sign-in/browser-environment";
import { createMsalApp } from "../entra/msal-app";
import { credentialSecret, usedCredential } from "../entra/credential-errors";
import { fetchOrganizationProfile, type OrganizationProfile } from "../partner-center/partner-center";
import type { InteractiveProgress } from "../core/progress";
import { DEFAULT_REQUEST_TIMEOUT_MS, Deadline } from "../core/retry";
import { loadStackOutputs, type StackOutputs } from "../vault/stack-outputs";
import { VaultStore, type RefreshTokenTags } from "../vault/vault-store";
import { describeSource, type TargetSource } from "../vault/vault-target";
import { allowReplacement, describeConsent, healthyStoredConsent } from "./replace-guard";

/** Options for {@link runBootstrap}. */
export interface BootstrapOptions {
  outputs: StackOutputs;
  /** Credential for Key Vault; defaults to DefaultAzureCredential. */
  credential?: TokenCredential;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms); transient failures have their own budget. */
  accessWaitMs: number;
  /** Sign-in timeout (ms). */
  timeoutMs: number;
  noBrowser: boolean;
  loginHint?: string;
  allowNoMfa: boolean;
  /** `--replace`: replace a healthy stored token consented by someone else (without it, only a yes to `confirm` does). */
  replace?: boolean;
  /** Asks a yes/no question (on a terminal); absent when nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
  /** Call Partner Center with the new token before storing it. */
  verify: boolean;
  /**
   * How long the verification may take, its retries included (ms). Default 30 s.
   * When Partner Center gives no verdict in that time, the token is stored anyway
   * and the result says `verification: "pending"`.
   */
  verifyTimeoutMs?: number;
  /** Overrides the stack's authorityHost (AZURE_AUTHORITY_HOST). */
  authorityHost?: string;
  /** Opens the system browser; rejects when it cannot. */
  openBrowser: (url: string) => Promise<unknown>;
  /** Where the command runs, to tell whether a browser can open (default: this process's environment and platform). */
  environment?: BrowserEnvironment;
  input: NodeJS.ReadableStream;
  /** Progress, prompts, and the values to keep off screen. */
  reporter: InteractiveProgress;
  now?: () => Date;
}

/** Options for {@link bootstrapFromSource}: {@link BootstrapOptions} with the stack outputs still to be read. */
export interface BootstrapFromSourceOptions extends Omit<BootstrapOptions, "outputs" | "authorityHost"> {
  /** The stack (`stack`) or outputs file (`outputsFile`) to read; `authorityHost` and `partnerCenterEndpoint` override the outputs. */
  source: TargetSource;
}

/** What the bootstrap stored; safe to print. */
export interface BootstrapResult {
  ok: true;
  keyVaultUri: string;
  secretName: string;
  version: string | null;
  expiresOn: string;
  consentedBy: string;
  consentedAt: string;
  mfa: boolean;
  tenantId: string;
  clientId: string;
  verified: boolean;
  /**
   * `passed`: Partner Center answered with the organization; `skipped`: --no-verify;
   * `pending`: Partner Center could not be asked to the end (no answer in time, a
   * service error), so the token was stored unverified — verify it later with
   * `status --probe` or `refresh`. The command exits 3 then.
   */
  verification: "passed" | "skipped" | "pending";
  /** Why the verification is pending; null otherwise. */
  verificationError: { code: string; message: string } | null;
  organization: OrganizationProfile | null;
}

/** Reads the stack outputs named by `source`, then runs {@link runBootstrap}. */
export async function bootstrapFromSource(options: BootstrapFromSourceOptions): Promise<BootstrapResult> {
  const { source, ...rest } = options;
  options.reporter.step(describeSource(source));
  const outputs = await loadStackOutputs({ stack: source.stack, outputsFile: source.outputsFile });
  return runBootstrap({
    ...rest,
    outputs: source.partnerCenterEndpoint ? { ...outputs, partnerCenterEndpoint: source.partnerCenterEndpoint } : outputs,
    authorityHost: source.authorityHost,
  });
}

/**
 * The one-time interactive step: read the app's credentials from the vault,
 * sign in with MFA in the browser, check and verify the token, and store the
 * refresh token in the vault. A failure before the write leaves the vault as it was.
 */
export async function runBootstrap(options: BootstrapOptions): Promise<BootstrapResult> {
  // Overall deadline: the sign-in's own timeout, the propagation wait, and two minutes for everything else.
  const deadline = new Deadline(options.timeoutMs + options.accessWaitMs + 120_000);
  try {
    return await bootstrapWithin(options, deadline);
  } finally {
    deadline.dispose();
  }
}

async function bootstrapWithin(options: BootstrapOptions, deadline: Deadline): Promise<BootstrapResult> {
  const { outputs, reporter } = options;
  const store = new VaultStore({
    keyVaultUri: outputs.keyVaultUri,
    secretNames: outputs.secretNames,
    credential: options.credential,
    accessWaitMs: options.accessWaitMs,
    deadline,
    onWait: (message, delayMs) => (reporter.wait ? reporter.wait(message, delayMs) : reporter.note(message)),
  });

  reporter.step(`Reading the app's credentials from ${outputs.keyVaultUri}`);
  const credentials = await store.readAppCredentials();
  reporter.protect(credentialSecret(credentials));
  const mismatched = (["clientId", "tenantId"] as const).filter((k) => credentials[k].toLowerCase() !== outputs[k].toLowerCase());
  if (mismatched.length > 0) {
    throw catalogError("vault_outputs_mismatch", {
      message: `The vault's ${mismatched.join(" and ")} differ from the stack outputs.`,
      hint: "Use the outputs of the stack that owns this vault, or run `pulumi up` so the vault is current.",
    });
  }

  // Before anyone signs in: a soft-deleted refresh-token secret would refuse the write afterwards (409).
  if ((await store.prepareRefreshTokenSecret()) === "recovered") {
    reporter.step(`The refresh-token secret "${outputs.secretNames.refreshToken}" was deleted (soft delete); recovered it so the new token can be stored.`);
  }

  // Who consented the token stored now: replacing someone else's needs --replace or a yes, asked before the browser opens when --login-hint names the user.
  const clock = options.now ?? (() => new Date());
  const stored = healthyStoredConsent((await store.readMetadata()).get(outputs.secretNames.refreshToken), clock());
  const replaceOptions = {
    replace: options.replace === true,
    confirm: options.confirm,
    reporter,
    retryWithReplace: `partner-center-sam bootstrap --replace${options.loginHint ? ` --login-hint ${options.loginHint}` : ""}`,
  };
  if (stored) {
    reporter.step(`The vault holds a refresh token consented by ${describeConsent(stored)}${stored.mfa === "true" ? " with MFA" : ""}.`);
    if (options.loginHint) await allowReplacement(stored, options.loginHint, false, replaceOptions);
  }

  const authorityHost = options.authorityHost ?? outputs.authorityHost;
  const app = createMsalApp(credentials, authorityHost, { deadline });
  const signIn = await signInInteractively({
    app,
    clientId: credentials.clientId,
    scopes: outputs.scopes,
    registeredRedirectUri: outputs.redirectUri,
    loginHint: options.loginHint,
    timeoutMs: options.timeoutMs,
    noBrowser: options.noBrowser,
    openBrowser: options.openBrowser,
    environment: options.environment,
    input: options.input,
    reporter,
    adminConsentUrl: outputs.adminConsentUrl,
    credential: usedCredential(credentials),
  });

  const claims = readAccessTokenClaims(signIn.result.accessToken);
  const user = signedInUser(claims) ?? signIn.result.account?.username ?? "unknown";
  const mfa = hasMfaClaim(claims);
  reporter.step(`Signed in as ${user}${mfa ? " with MFA" : " without MFA"}.`);
  if (claims?.tid && claims.tid.toLowerCase() !== credentials.tenantId.toLowerCase()) {
    throw catalogError("wrong_tenant", {
      message: `The sign-in was for tenant ${claims.tid}, but the app belongs to ${credentials.tenantId}.`,
      hint: "Run `partner-center-sam bootstrap` again and sign in with a user of the partner tenant.",
    });
  }
  if (options.loginHint && user.toLowerCase() !== options.loginHint.toLowerCase()) {
    throw catalogError("wrong_account", {
      message: `Signed in as ${user}, but --login-hint asked for ${options.loginHint}.`,
      hint: "Run `partner-center-sam bootstrap` again and pick the intended account (or drop --login-hint).",
    });
  }
  if (!mfa && !options.allowNoMfa) {
    throw catalogError("mfa_missing", {
      message: "The sign-in did not use multi-factor authentication (no value containing 'mfa' in the token's amr claim); Partner Center rejects App+User calls without MFA.",
      hint: "Run `partner-center-sam bootstrap` again and complete MFA (the user needs MFA registered), or pass --allow-no-mfa to store the token anyway.",
    });
  }

  // --login-hint was checked before the sign-in (and the account matches it); otherwise the signed-in user is known only now.
  if (stored && !options.loginHint) await allowReplacement(stored, user, true, replaceOptions);

  let organization: OrganizationProfile | null = null;
  let unverified: SamError | undefined;
  if (options.verify) {
    reporter.step(`Verifying the token with Partner Center (${outputs.partnerCenterEndpoint}).`);
    try {
      const within = options.verifyTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      organization = await fetchOrganizationProfile(outputs.partnerCenterEndpoint, signIn.result.accessToken, { deadline, timeoutMs: within, transientBudgetMs: within });
      reporter.step(`Partner Center organization: ${organization.companyName || "(no name)"} (${organization.id}).`);
    } catch (error) {
      // Partner Center refusing the token (partner_center_rejected) stores nothing. Not getting to an
      // answer is no reason to throw away a valid sign-in: the token is stored, its verification pending.
      if (!(error instanceof SamError) || !VERIFICATION_UNFINISHED.has(error.code)) throw error;
      unverified = error;
      reporter.warn(`Partner Center could not verify the token: ${error.message} The sign-in is valid${mfa ? " and used MFA" : ""}, so the token is stored all the same.`);
    }
  }

  const now = clock();
  const tags: RefreshTokenTags = {
    consentedAt: now.toISOString(),
    consentedBy: user,
    mfa: mfa ? "true" : "false",
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    refreshedAt: now.toISOString(),
  };
  reporter.step(`Storing the refresh token in ${outputs.keyVaultUri} as "${outputs.secretNames.refreshToken}".`);
  const written = await store.writeRefreshToken(signIn.refreshToken, tags, now);
  return {
    ok: true,
    keyVaultUri: outputs.keyVaultUri,
    secretName: outputs.secretNames.refreshToken,
    version: written.version ?? null,
    expiresOn: written.expiresOn.toISOString(),
    consentedBy: user,
    consentedAt: tags.consentedAt,
    mfa,
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    verified: organization !== null,
    verification: organization ? "passed" : unverified ? "pending" : "skipped",
    verificationError: unverified ? { code: unverified.code, message: unverified.message } : null,
    organization,
  };
}

/** Partner Center gave no verdict on the token (no answer in time, or an error that is not a refusal). */
const VERIFICATION_UNFINISHED: ReadonlySet<string> = new Set(["partner_center_unreachable", "partner_center_error"]);
