/**
 * Typed errors. Every error a user can meet carries a stable `code`, the exit
 * code the commands map it to, and a `hint` that says what to do next. Messages
 * never contain a token, an authorization code or a client secret.
 */

/** Process exit codes shared by all commands (documented in the README). */
export const ExitCode = Object.freeze({
  /** The command did what it was asked. */
  Ok: 0,
  /** Anything unexpected: network, vault unreachable, service errors. */
  Failure: 1,
  /** Usage, configuration or stack-output error: fix the input and run again. */
  Usage: 2,
  /** A person must act: sign in again (bootstrap), or a secret needs attention (status). */
  ActionNeeded: 3,
});
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Options shared by every error of this package. */
export interface SamErrorOptions {
  /** What the user should do next. */
  hint?: string;
  /** The underlying error, kept for debugging (never printed verbatim). */
  cause?: unknown;
  /** The AADSTS error number, when Entra ID reported one. */
  aadsts?: string;
}

/** Base class: a stable `code`, an exit code and a next-step `hint`. */
export class SamError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly aadsts?: string;

  constructor(code: string, message: string, exitCode: ExitCodeValue, options: SamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.aadsts = options.aadsts;
  }
}

/** Bad command-line input, configuration or stack outputs (exit 2). */
export class UsageError extends SamError {
  constructor(code: string, message: string, options: SamErrorOptions = {}) {
    super(code, message, ExitCode.Usage, options);
  }
}

/** The interactive sign-in did not complete: denied, timed out, no MFA, wrong account (exit 3). */
export class SignInError extends SamError {
  constructor(code: string, message: string, options: SamErrorOptions = {}) {
    super(code, message, ExitCode.ActionNeeded, options);
  }
}

/**
 * The stored refresh token can no longer be redeemed: a person must run
 * `npm run bootstrap` again (exit 3). `aadsts` names the Entra ID error.
 */
export class ConsentRequiredError extends SamError {
  constructor(message: string, options: SamErrorOptions = {}) {
    super("consent_required", message, ExitCode.ActionNeeded, {
      hint: "Run `partner-center-sam bootstrap` to sign in again with MFA and store a new refresh token.",
      ...options,
    });
  }
}

/** Key Vault could not be read or written (exit 1), or a secret in it needs a person (exit 3, e.g. a disabled secret). */
export class VaultError extends SamError {
  constructor(code: string, message: string, options: SamErrorOptions = {}, exitCode: ExitCodeValue = ExitCode.Failure) {
    super(code, message, exitCode, options);
  }
}

/** Entra ID or Partner Center answered with an error that needs no new consent (exit 1 unless mapped). */
export class ServiceError extends SamError {
  constructor(code: string, message: string, exitCode: ExitCodeValue = ExitCode.Failure, options: SamErrorOptions = {}) {
    super(code, message, exitCode, options);
  }
}
