/**
 * The one catalogue of the errors a user can meet: each stable `code` with its
 * exit code, what happened (`summary`, the message when a site gives no more
 * specific one) and what to do next (`hint`, the default next step). Sites that
 * know more (a vault name, an AADSTS description) pass their own message and
 * hint; the code and exit code always come from here. The README's exit-code
 * table is this catalogue by exit code; a unit test checks every code raised in
 * bootstrap/src is listed here with the same exit code.
 */
import { CancelledError, SIGNAL_EXIT_CODES, type TerminationSignal } from "./cancellation";
import { CancelledError as SignalReason, TimeoutError } from "./retry";
import { describeFailure, redactSecrets } from "./terminal";
import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError, VaultError, type ExitCodeValue, type SamErrorOptions } from "./errors";

/** The error class a code is raised as (what `instanceof` sees). */
export type ErrorClass = "UsageError" | "SignInError" | "ConsentRequiredError" | "VaultError" | "ServiceError" | "SamError";

/** One catalogue entry. */
export interface CatalogueEntry {
  exitCode: ExitCodeValue;
  /** What happened, in general terms. May hold `{detail}`, replaced by the site's detail. */
  summary: string;
  /** What to do next. */
  hint: string;
  /** The class, when it is not the one {@link catalogError} derives from the code and exit code. */
  errorClass?: ErrorClass;
}

const { Failure, Usage, ActionNeeded } = ExitCode;
const RUN_BOOTSTRAP = "Run `partner-center-sam bootstrap` to sign in again with MFA and store a new refresh token.";
const RUN_AGAIN = "Run the command again; if it persists, report it with the time of the failure.";
const PULUMI_UP = "Run `pulumi up` for this stack so the app and the vault are current.";

function entry(exitCode: ExitCodeValue, summary: string, hint: string, errorClass?: ErrorClass): CatalogueEntry {
  return Object.freeze(errorClass ? { exitCode, summary, hint, errorClass } : { exitCode, summary, hint });
}

/** Every error code, by name. */
export const ERROR_CATALOGUE = Object.freeze({
  // Command-line input and configuration (exit 2)
  invalid_options: entry(Usage, "Invalid options:{detail}", "Run the command with --help to see every option."),
  invalid_token_request: entry(Usage, "The token request is invalid: {detail}", "Pass --scope graph, --scope partner-center or a full scope such as https://graph.microsoft.com/.default."),
  outputs_file_unreadable: entry(Usage, "The stack outputs file cannot be read.", "Save it with `pulumi stack output --json --show-secrets > FILE`, or omit --outputs to ask the Pulumi CLI."),
  outputs_file_encoding: entry(Usage, "The stack outputs file is not UTF-8.", "Save it again as UTF-8."),
  outputs_file_invalid: entry(Usage, "The stack outputs file is not valid JSON.", "Save it again with `pulumi stack output --json --show-secrets > FILE`."),
  pulumi_cli_missing: entry(Usage, "The Pulumi CLI was not found on PATH.", "Install the Pulumi CLI, or pass --outputs FILE (or --vault-uri)."),
  pulumi_stack_output_failed: entry(Usage, "`pulumi stack output` failed.", "Select a stack with `pulumi stack select NAME` or pass --stack NAME, or pass --outputs FILE."),
  pulumi_stack_output_invalid: entry(Usage, "`pulumi stack output --json` did not print valid JSON.", PULUMI_UP),
  stack_outputs_invalid: entry(Usage, "The stack outputs are missing or malformed.", PULUMI_UP),
  vault_outputs_mismatch: entry(Usage, "The vault's app credentials differ from the stack outputs.", "Use the outputs of the stack that owns this vault, or run `pulumi up`."),
  refresh_token_in_use: entry(Usage, "The stored refresh token was consented by someone else.", "Run `partner-center-sam bootstrap --replace` to replace it, or sign in as the user who consented it."),
  loopback_unavailable: entry(Usage, "The sign-in cannot listen on the redirect URI's loopback port.", "Free the port or change redirectUri, or use --no-browser."),
  no_free_port: entry(Usage, "No free loopback port for the sign-in.", "Free a port or use --no-browser."),
  emulator_port_in_use: entry(Usage, "The emulator cannot listen on the ports asked for: {detail}", "Pass another --port (the emulator uses it and the next three), or leave --port out to use free ports."),
  notify_no_targets: entry(Usage, "No notification target is configured.", "Pass --notify TARGET (teams+https://…, slack+https://… or https://…) or set PARTNER_CENTER_SAM_NOTIFY."),
  // import-token: the refresh token piped in, and a stored token someone else consented (exit 2: fix the input or add a flag)
  import_token_terminal: entry(Usage, "import-token reads the refresh token from standard input, and standard input is a terminal.", "Pipe the token in, e.g. `Get-Content token.txt | partner-center-sam import-token …` or `partner-center-sam import-token … < token.txt`."),
  import_token_input: entry(Usage, "Standard input does not hold one refresh token: {detail}", "Pipe only the refresh token (PowerShell: `$token.RefreshToken`), then run the command again."),
  import_token_other_app: entry(Usage, "The refresh token was issued to another app registration.", "Pipe a refresh token of this stack's app (its client id is the stack output clientId), or adopt your existing app first (docs/migrating.md), or run `partner-center-sam bootstrap`."),
  import_token_other_tenant: entry(Usage, "The refresh token belongs to a user or tenant other than the partner tenant of the app.", "Pipe a refresh token of a user of the partner tenant (the stack output tenantId), or run `partner-center-sam bootstrap` and sign in with such a user."),
  // The app registration or its secret (exit 2: fix the configuration)
  app_or_tenant_not_found: entry(Usage, "Entra ID does not know this app or tenant.", PULUMI_UP),
  client_secret_expired: entry(Usage, "The app's client secret has expired.", "Run `pulumi up` to rotate the client secret into the vault."),
  client_secret_missing: entry(Usage, "Entra ID got no client secret.", PULUMI_UP),
  client_certificate_invalid: entry(Usage, "The vault's certificate secret cannot be used.", "Run `pulumi up` to write the stack's certificate to the vault again."),
  client_certificate_unknown: entry(Usage, "Entra ID does not know the app's certificate (AADSTS700027).", "Run `pulumi up` so the app registration and the vault hold the same current certificate."),
  client_certificate_expired: entry(Usage, "The app's certificate has expired.", "Run `pulumi up` to rotate the certificate into the app registration and the vault."),
  clock_skew: entry(Usage, "Entra ID refused the client assertion's time window (AADSTS700024): this machine's clock is off.", "Set this machine's clock right (enable NTP time sync), then run the command again."),
  invalid_client: entry(Usage, "Entra ID rejected the app's credentials.", PULUMI_UP),
  invalid_client_secret: entry(Usage, "Entra ID rejected the client secret.", "Run `pulumi up` to write the current client secret to the vault."),
  invalid_request: entry(Usage, "Entra ID called the request malformed.", RUN_AGAIN),
  invalid_scope: entry(Usage, "Entra ID refused the scopes.", "Check the scopes (and the app's API permissions: `pulumi up`)."),
  public_client_app: entry(Usage, "The app is registered as a public client.", PULUMI_UP),
  redirect_uri_mismatch: entry(Usage, "The redirect URI is not registered on the app.", PULUMI_UP),
  unauthorized_client: entry(Usage, "Entra ID does not allow this app to do this.", PULUMI_UP),
  customer_not_found: entry(Usage, "A customer named with --customer is not in the estate.", "Check the tenant id or domain against `partner-center-sam customers`, or fix config customerInclude."),
  tenant_not_found: entry(Usage, "Entra ID does not know this tenant.", "Check the tenant id or domain (--tenant): it must be a customer's tenant id or verified domain."),
  unsupported_grant_type: entry(Usage, "Entra ID does not support this grant for the app.", PULUMI_UP),
  // A person must act (exit 3)
  consent_required: entry(ActionNeeded, "The stored refresh token can no longer be redeemed.", RUN_BOOTSTRAP),
  customer_consent_missing: entry(ActionNeeded, "The app is not in this customer tenant.", "Run `partner-center-sam consent --customer <tenant>` to consent the app into the customer tenant, then try again.", "ServiceError"),
  gdap_access_missing: entry(ActionNeeded, "The signed-in user has no GDAP role in this customer tenant.", "Set up the GDAP relationship and assign the user's security group a role in Partner Center, then try again.", "ServiceError"),
  customer_consent_propagating: entry(ActionNeeded, "The app was consented in this customer tenant moments ago and is not there yet.", "Consent can take minutes to propagate: wait a few minutes and try again (no need to consent again).", "ServiceError"),
  customer_conditional_access_blocked: entry(ActionNeeded, "The customer's Conditional Access blocked the partner user (AADSTS53003).", "The customer's administrator must allow service provider users in that policy; signing in again does not help.", "ServiceError"),
  customer_service_provider_blocked: entry(ActionNeeded, "The customer's Conditional Access or cross-tenant access settings do not support service-provider users (AADSTS50177/50178).", "The customer's administrator must exclude service provider users from that policy; signing in again does not help.", "ServiceError"),
  customer_mfa_required: entry(ActionNeeded, "The customer's policy requires MFA the partner user's token does not satisfy there.", "The customer's administrator must trust MFA from your tenant (cross-tenant access settings) or exclude service provider users; signing in again does not help.", "ServiceError"),
  customer_cross_tenant_blocked: entry(ActionNeeded, "The customer's cross-tenant access settings block the partner user (AADSTS500213).", "The customer's administrator must allow your tenant in their inbound cross-tenant access settings.", "ServiceError"),
  customer_admin_risk_blocked: entry(ActionNeeded, "Delegated admin access was blocked for account risk (AADSTS530034).", "Your tenant's administrator must remediate the user's risk in Entra ID Protection.", "ServiceError"),
  consent_declined: entry(ActionNeeded, "The consent was declined.", RUN_BOOTSTRAP),
  consent_missing: entry(ActionNeeded, "The app has no consent for these permissions.", "Grant admin consent (the stack's adminConsentUrl output), then run `partner-center-sam bootstrap`."),
  conditional_access_blocked: entry(ActionNeeded, "Conditional Access blocked the sign-in.", "Ask an administrator to allow this app and sign-in, then run `partner-center-sam bootstrap`."),
  code_expired: entry(ActionNeeded, "The authorization code expired.", "Run `partner-center-sam bootstrap` again and finish the sign-in promptly."),
  code_rejected: entry(ActionNeeded, "Entra ID rejected the authorization code.", "Run `partner-center-sam bootstrap` again."),
  mfa_missing: entry(ActionNeeded, "The sign-in did not use MFA.", "Run `partner-center-sam bootstrap` again and complete MFA."),
  mfa_required: entry(ActionNeeded, "Entra ID requires MFA.", RUN_BOOTSTRAP),
  partner_center_rejected: entry(ActionNeeded, "Partner Center rejected the token.", RUN_BOOTSTRAP),
  partner_center_mfa_required: entry(ActionNeeded, "Partner Center requires a token obtained with MFA (900421).", RUN_BOOTSTRAP),
  sign_in_denied: entry(ActionNeeded, "The sign-in was denied.", "Run `partner-center-sam bootstrap` again."),
  sign_in_incomplete: entry(ActionNeeded, "The sign-in did not complete.", "Run `partner-center-sam bootstrap` again."),
  sign_in_timeout: entry(ActionNeeded, "The sign-in did not finish in time.", "Run `partner-center-sam bootstrap` again (or raise --timeout)."),
  wrong_account: entry(ActionNeeded, "The sign-in used another account than --login-hint.", "Run `partner-center-sam bootstrap` again with the intended account."),
  wrong_tenant: entry(ActionNeeded, "The sign-in was for another tenant than the app's.", "Run `partner-center-sam bootstrap` again with a user of the partner tenant."),
  import_token_refused: entry(ActionNeeded, "Entra ID refuses the refresh token piped in (expired, revoked or blocked).", "Get a fresh refresh token (e.g. `New-PartnerAccessToken -UseAuthorizationCode`) and pipe it at once, or run `partner-center-sam bootstrap` to sign in here instead."),
  import_token_no_mfa: entry(ActionNeeded, "The refresh token piped in was not obtained with MFA, which Partner Center requires for App+User calls.", "Get a refresh token from a sign-in with MFA, or run `partner-center-sam bootstrap`; pass --allow-no-mfa to store it anyway."),
  secret_disabled: entry(ActionNeeded, "A vault secret is disabled.", "Enable its latest version, or run `pulumi up`.", "VaultError"),
  refresh_token_deleted: entry(ActionNeeded, "The refresh-token secret is deleted (soft delete).", "Recover it with `az keyvault secret recover` and run `partner-center-sam refresh`, or purge it and run `partner-center-sam bootstrap`.", "SamError"),
  /**
   * Stopped by SIGINT or SIGTERM. Raised with `signal`, it is a CancelledError and
   * the command exits 128 + the signal's number (130, 143), not this exit code,
   * which only library callers see (`error.exitCode`).
   */
  cancelled: entry(ActionNeeded, "The command was cancelled.", "Run the command again.", "SamError"),
  gdap_permission_missing: entry(
    ActionNeeded,
    "The app cannot read GDAP relationships: its Microsoft Graph token lacks DelegatedAdminRelationship.Read.All.",
    "Add it to the stack's graphScopes after the entries it has (`pulumi config get graphScopes`): `pulumi config set --path 'graphScopes[N]' DelegatedAdminRelationship.Read.All` with N their number (0 for none), run `pulumi up`, then `partner-center-sam bootstrap` so the stored refresh token carries it.",
    "SamError",
  ),
  // Failures of the services or the network (exit 1)
  sweep_failed: entry(Failure, "The sweep could not run: neither Partner Center nor Microsoft Graph answered.", "Check the network path to both services and run the command again."),
  access_token_unreadable: entry(Failure, "The access token could not be read.", RUN_AGAIN),
  api_call_failed: entry(Failure, "The API answered with an error.", "Fix the request and run it again; quote the request and correlation ids if you contact Microsoft support."),
  api_unreachable: entry(Failure, "The API did not answer.", RUN_AGAIN),
  insecure_target: entry(Usage, "The request would send a token over an insecure connection.", "Use an https URL."),
  invalid_target: entry(Usage, "The request's target is not valid.", "Pass a path starting with / or an https URL."),
  partner_center_customer_tenant: entry(
    Usage,
    "Partner Center is called in the partner's own tenant, not in a customer tenant.",
    "Leave out --tenant for Partner Center (it reaches a customer through /v1/customers/{customer-id}/…); for a token in the customer tenant pass --scope graph or a full scope such as https://graph.microsoft.com/.default.",
  ),
  scope_required: entry(Usage, "This host needs an explicit --scope.", "Pass --scope for the host, so a token is never sent somewhere by accident."),
  next_page_elsewhere: entry(Failure, "A next-page link points to another host.", RUN_AGAIN),
  too_many_pages: entry(Failure, "Paging did not end.", RUN_AGAIN),
  multi_tenant_off: entry(Usage, "multiTenant is off.", "Set `multiTenant: true` and run `pulumi up`."),
  no_customer_scopes: entry(Usage, "customerGraphScopes is empty.", "Set customerGraphScopes and run `pulumi up`."),
  azure_credential_timeout: entry(Failure, "The Azure credential gave no token in time.", "Check the Azure credential (az login, managed identity) and run the command again."),
  azure_credential_unavailable: entry(Failure, "No Azure credential is available for Key Vault.", "Sign in with `az login`, or configure a managed identity or AZURE_* variables."),
  entra_error: entry(Failure, "Entra ID answered with an error.", RUN_AGAIN),
  entra_unavailable: entry(Failure, "Entra ID is unavailable.", RUN_AGAIN),
  entra_unreachable: entry(Failure, "Entra ID did not answer.", "Check the network path to the authority host and run the command again."),
  entra_unreadable_answer: entry(Failure, "Entra ID's answer could not be read.", RUN_AGAIN),
  no_account: entry(Failure, "Entra ID returned a token without an account.", RUN_BOOTSTRAP),
  no_refresh_token: entry(Failure, "Entra ID returned no refresh token.", "Check that the app's permissions include offline_access (run `pulumi up`)."),
  partner_center_error: entry(Failure, "Partner Center answered with an error.", RUN_AGAIN),
  partner_center_unreachable: entry(Failure, "Partner Center did not answer.", RUN_AGAIN),
  refresh_token_not_stored: entry(Failure, "The refresh token was redeemed but the new one could not be stored.", "Run `partner-center-sam refresh` again."),
  app_secret_deleted: entry(Failure, "One of the app's vault secrets is deleted (soft delete).", "Recover it with `az keyvault secret recover`, then run `pulumi up` so the vault is current."),
  secret_empty: entry(Failure, "A vault secret is empty.", PULUMI_UP),
  secret_missing: entry(Failure, "A vault secret is missing.", PULUMI_UP),
  token_timeout: entry(Failure, "No access token within the command's deadline: {detail}", "Run the command again, or raise --timeout / --access-wait."),
  vault_error: entry(Failure, "Key Vault answered with an error.", RUN_AGAIN),
  vault_firewall: entry(Failure, "The Key Vault firewall refused this address.", "Allow this address in the vault's network rules."),
  vault_forbidden: entry(Failure, "Key Vault refused access (RBAC).", "Grant the identity the Key Vault role, wait for it to propagate, and run the command again."),
  vault_throttled: entry(Failure, "Key Vault kept throttling.", RUN_AGAIN),
  vault_timeout: entry(Failure, "Key Vault did not answer in time.", RUN_AGAIN),
  vault_unauthorized: entry(Failure, "Key Vault did not accept the credential.", "Check the Azure credential and run the command again."),
  vault_challenge_mismatch: entry(Failure, "The vault URI answered with a sign-in challenge for another domain.", "Check the vault URI and the proxy settings, then run the command again."),
  host_not_resolved: entry(Failure, "A service's host name does not resolve.", "Check the host name, DNS and any proxy; for the emulator, run the environment lines it printed in this shell."),
  certificate_untrusted: entry(Failure, "A service presented a certificate this machine does not trust.", "Set NODE_EXTRA_CA_CERTS to the CA file (the emulator's, or a TLS-inspecting proxy's root), then run the command again."),
  vault_unreachable: entry(Failure, "Key Vault could not be reached.", "Check the vault URI and the network path, and run the command again."),
  notification_failed: entry(Failure, "A notification could not be delivered.", "Check the webhook (is it still enabled, does it accept posts from here?) and run `partner-center-sam notify --test` again."),
  token_cache_unusable: entry(Failure, "The shared token cache folder cannot be used.", "Remove the folder (it holds only access tokens); the commands create it again, owner-only."),
  unexpected_error: entry(Failure, "Unexpected error: {detail}", "Run the command again; if it persists, report it with this message."),
} satisfies Record<string, CatalogueEntry>);

/** A code in the catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** What a site adds to a catalogue entry. */
export interface CatalogErrorDetails extends SamErrorOptions {
  /** Replaces `{detail}` in the summary. */
  detail?: string;
  /** A more specific message than the summary. */
  message?: string;
  /**
   * For `cancelled`: the signal that stopped the command. The error is then a
   * {@link CancelledError} whose `signalExitCode` (130, 143) the command exits with.
   */
  signal?: string;
}

/** The catalogue entry of `code`, or undefined for a code not listed. */
export function catalogueEntry(code: string): CatalogueEntry | undefined {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code) ? ERROR_CATALOGUE[code as ErrorCode] : undefined;
}

/** Codes about the vault or the credential that reads it (VaultError). */
const VAULT_CODE = /^(vault_|secret_|app_secret_|azure_credential_|refresh_token_not_stored$)/;

/**
 * The class `code` is raised as: the entry's `errorClass` when it names one; else
 * exit 2 UsageError; `consent_required` ConsentRequiredError; other exit-3 codes
 * SignInError; vault codes VaultError; other exit-1 codes ServiceError.
 */
export function errorClassOf(code: ErrorCode): ErrorClass {
  const e: CatalogueEntry = ERROR_CATALOGUE[code];
  if (e.errorClass) return e.errorClass;
  if (code === "consent_required") return "ConsentRequiredError";
  if (e.exitCode === ExitCode.Usage) return "UsageError";
  if (e.exitCode === ExitCode.ActionNeeded) return "SignInError";
  return VAULT_CODE.test(code) ? "VaultError" : "ServiceError";
}

/**
 * Creates the error for `code`: the catalogue's exit code, the site's message (or
 * the summary) and hint (or the default), as the class {@link errorClassOf} names,
 * so `instanceof` checks keep working. This is the only place in bootstrap/src
 * that constructs these classes (a unit test keeps it so).
 */
export function catalogError(code: ErrorCode, details: CatalogErrorDetails = {}): SamError {
  const e = ERROR_CATALOGUE[code];
  // Text from a service or a library may reach a message through a site's detail: never a secret (terminal.ts).
  const message = redactSecrets(details.message ?? e.summary.replace("{detail}", details.detail ?? ""));
  const options: SamErrorOptions = { hint: redactSecrets(details.hint ?? e.hint), cause: safeCause(details.cause), aadsts: details.aadsts };
  if (code === "cancelled" && details.signal && Object.prototype.hasOwnProperty.call(SIGNAL_EXIT_CODES, details.signal)) {
    return new CancelledError(details.signal as TerminationSignal, message, options);
  }
  switch (errorClassOf(code)) {
    case "ConsentRequiredError":
      return new ConsentRequiredError(message, options);
    case "UsageError":
      return new UsageError(code, message, options);
    case "SignInError":
      return new SignInError(code, message, options);
    case "VaultError":
      return new VaultError(code, message, options, e.exitCode);
    case "ServiceError":
      return new ServiceError(code, message, e.exitCode, options);
    case "SamError":
      return new SamError(code, message, e.exitCode, options);
  }
}

/**
 * A foreign error as the cause of one of ours: its name, `code`, `statusCode`
 * and a {@link describeFailure} line — not the error itself, whose message,
 * request or response (a Key Vault answer, an echoed token request) may hold
 * a secret that `util.inspect` or a logger would print. Errors of this package
 * (already safe) stay as they are.
 */
export class CauseSummary extends Error {
  readonly code?: string;
  readonly statusCode?: number;
  constructor(error: unknown) {
    super(describeFailure(error));
    const e = error as { name?: unknown; code?: unknown; statusCode?: unknown; errorCode?: unknown } | null;
    this.name = typeof e?.name === "string" ? e.name : "Error";
    const code = typeof e?.code === "string" ? e.code : typeof e?.errorCode === "string" ? e.errorCode : undefined;
    if (code !== undefined) this.code = code;
    if (typeof e?.statusCode === "number") this.statusCode = e.statusCode;
    // No stack: a library's stack line may quote what it was parsing.
    this.stack = `${this.name}: ${this.message}`;
  }
}

function safeCause(cause: unknown): unknown {
  if (cause === undefined || cause instanceof SamError || cause instanceof TimeoutError || cause instanceof SignalReason || cause instanceof CauseSummary) return cause;
  return new CauseSummary(cause);
}

/**
 * The error for work given up because its AbortSignal aborted: a SamError reason
 * as it is; a command's deadline (TimeoutError) `token_timeout`; SIGINT/SIGTERM
 * `cancelled` with the signal (exit 130/143); any other reason `cancelled`.
 */
export function abortError(reason: unknown): SamError {
  if (reason instanceof SamError) return reason;
  if (reason instanceof TimeoutError) return catalogError("token_timeout", { detail: reason.message, cause: reason });
  if (reason instanceof SignalReason) {
    return catalogError("cancelled", { signal: reason.signalName, message: `Cancelled by ${reason.signalName} before the access token arrived.`, cause: reason });
  }
  return catalogError("cancelled", { message: "The access token request was aborted (its AbortSignal); other callers waiting for the same token still get it.", cause: reason });
}
