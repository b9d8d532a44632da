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
const RUN_BOOTSTRAP = "Run `npm run bootstrap` to sign in again with MFA and store a new refresh token.";
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
  loopback_unavailable: entry(Usage, "The sign-in cannot listen on the redirect URI's loopback port.", "Free the port or change redirectUri, or use --no-browser."),
  no_free_port: entry(Usage, "No free loopback port for the sign-in.", "Free a port or use --no-browser."),
  emulator_port_in_use: entry(Usage, "The emulator cannot listen on the ports asked for: {detail}", "Pass another --port (the emulator uses it and the next two), or leave --port out to use free ports."),
  // The app registration or its secret (exit 2: fix the configuration)
  app_or_tenant_not_found: entry(Usage, "Entra ID does not know this app or tenant.", PULUMI_UP),
  client_secret_expired: entry(Usage, "The app's client secret has expired.", "Run `pulumi up` to rotate the client secret into the vault."),
  client_secret_missing: entry(Usage, "Entra ID got no client secret.", PULUMI_UP),
  invalid_client: entry(Usage, "Entra ID rejected the app's credentials.", PULUMI_UP),
  invalid_client_secret: entry(Usage, "Entra ID rejected the client secret.", "Run `pulumi up` to write the current client secret to the vault."),
  invalid_request: entry(Usage, "Entra ID called the request malformed.", RUN_AGAIN),
  invalid_scope: entry(Usage, "Entra ID refused the scopes.", "Check the scopes (and the app's API permissions: `pulumi up`)."),
  public_client_app: entry(Usage, "The app is registered as a public client.", PULUMI_UP),
  redirect_uri_mismatch: entry(Usage, "The redirect URI is not registered on the app.", PULUMI_UP),
  unauthorized_client: entry(Usage, "Entra ID does not allow this app to do this.", PULUMI_UP),
  tenant_not_found: entry(Usage, "Entra ID does not know this tenant.", "Check the tenant id or domain (--tenant): it must be a customer's tenant id or verified domain."),
  unsupported_grant_type: entry(Usage, "Entra ID does not support this grant for the app.", PULUMI_UP),
  // A person must act (exit 3)
  consent_required: entry(ActionNeeded, "The stored refresh token can no longer be redeemed.", RUN_BOOTSTRAP),
  customer_consent_missing: entry(ActionNeeded, "The app is not in this customer tenant.", "Run `partner-center-sam consent --customer <tenant>` to consent the app into the customer tenant, then try again.", "ServiceError"),
  gdap_access_missing: entry(ActionNeeded, "The signed-in user has no GDAP role in this customer tenant.", "Set up the GDAP relationship and assign the user's security group a role in Partner Center, then try again.", "ServiceError"),
  consent_declined: entry(ActionNeeded, "The consent was declined.", RUN_BOOTSTRAP),
  consent_missing: entry(ActionNeeded, "The app has no consent for these permissions.", "Grant admin consent (the stack's adminConsentUrl output), then run `npm run bootstrap`."),
  conditional_access_blocked: entry(ActionNeeded, "Conditional Access blocked the sign-in.", "Ask an administrator to allow this app and sign-in, then run `npm run bootstrap`."),
  code_expired: entry(ActionNeeded, "The authorization code expired.", "Run `npm run bootstrap` again and finish the sign-in promptly."),
  code_rejected: entry(ActionNeeded, "Entra ID rejected the authorization code.", "Run `npm run bootstrap` again."),
  mfa_missing: entry(ActionNeeded, "The sign-in did not use MFA.", "Run `npm run bootstrap` again and complete MFA."),
  mfa_required: entry(ActionNeeded, "Entra ID requires MFA.", RUN_BOOTSTRAP),
  partner_center_rejected: entry(ActionNeeded, "Partner Center rejected the token.", RUN_BOOTSTRAP),
  partner_center_mfa_required: entry(ActionNeeded, "Partner Center requires a token obtained with MFA (900421).", RUN_BOOTSTRAP),
  sign_in_denied: entry(ActionNeeded, "The sign-in was denied.", "Run `npm run bootstrap` again."),
  sign_in_incomplete: entry(ActionNeeded, "The sign-in did not complete.", "Run `npm run bootstrap` again."),
  sign_in_timeout: entry(ActionNeeded, "The sign-in did not finish in time.", "Run `npm run bootstrap` again (or raise --timeout)."),
  wrong_account: entry(ActionNeeded, "The sign-in used another account than --login-hint.", "Run `npm run bootstrap` again with the intended account."),
  wrong_tenant: entry(ActionNeeded, "The sign-in was for another tenant than the app's.", "Run `npm run bootstrap` again with a user of the partner tenant."),
  refresh_token_deleted: entry(ActionNeeded, "The refresh-token secret is deleted (soft delete).", "Recover it with `az keyvault secret recover` and run `npm run refresh`, or purge it and run `npm run bootstrap`.", "SamError"),
  /**
   * Stopped by SIGINT or SIGTERM. Raised with `signal`, it is a CancelledError and
   * the command exits 128 + the signal's number (130, 143), not this exit code,
   * which only library callers see (`error.exitCode`).
   */
  cancelled: entry(ActionNeeded, "The command was cancelled.", "Run the command again.", "SamError"),
  // Failures of the services or the network (exit 1)
  access_token_unreadable: entry(Failure, "The access token could not be read.", RUN_AGAIN),
  api_call_failed: entry(Failure, "The API answered with an error.", "Fix the request and run it again; quote the request and correlation ids if you contact Microsoft support."),
  api_unreachable: entry(Failure, "The API did not answer.", RUN_AGAIN),
  insecure_target: entry(Usage, "The request would send a token over an insecure connection.", "Use an https URL."),
  invalid_target: entry(Usage, "The request's target is not valid.", "Pass a path starting with / or an https URL."),
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
  refresh_token_not_stored: entry(Failure, "The refresh token was redeemed but the new one could not be stored.", "Run `npm run refresh` again."),
  app_secret_deleted: entry(Failure, "One of the app's vault secrets is deleted (soft delete).", "Recover it with `az keyvault secret recover`, then run `pulumi up` so the vault is current."),
  secret_disabled: entry(Failure, "A vault secret is disabled.", "Enable its latest version, or run `pulumi up`."),
  secret_empty: entry(Failure, "A vault secret is empty.", PULUMI_UP),
  secret_missing: entry(Failure, "A vault secret is missing.", PULUMI_UP),
  token_timeout: entry(Failure, "No access token within the command's deadline: {detail}", "Run the command again, or raise --timeout / --access-wait."),
  vault_error: entry(Failure, "Key Vault answered with an error.", RUN_AGAIN),
  vault_firewall: entry(Failure, "The Key Vault firewall refused this address.", "Allow this address in the vault's network rules."),
  vault_forbidden: entry(Failure, "Key Vault refused access (RBAC).", "Grant the identity the Key Vault role, wait for it to propagate, and run the command again."),
  vault_throttled: entry(Failure, "Key Vault kept throttling.", RUN_AGAIN),
  vault_timeout: entry(Failure, "Key Vault did not answer in time.", RUN_AGAIN),
  vault_unauthorized: entry(Failure, "Key Vault did not accept the credential.", "Check the Azure credential and run the command again."),
  vault_unreachable: entry(Failure, "Key Vault could not be reached.", "Check the vault URI and the network path, and run the command again."),
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
  const message = details.message ?? e.summary.replace("{detail}", details.detail ?? "");
  const options: SamErrorOptions = { hint: details.hint ?? e.hint, cause: details.cause, aadsts: details.aadsts };
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
      return new VaultError(code, message, options);
    case "ServiceError":
      return new ServiceError(code, message, e.exitCode, options);
    case "SamError":
      return new SamError(code, message, e.exitCode, options);
  }
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
