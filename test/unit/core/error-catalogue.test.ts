/**
 * The error catalogue is the one list of error codes: every code the library
 * raises is in it, with one exit code, and catalogError is the only way
 * bootstrap/src builds those errors.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CancelledError } from "../../../bootstrap/src/core/cancellation";
import { catalogError, catalogueEntry, ERROR_CATALOGUE, errorClassOf, type ErrorCode } from "../../../bootstrap/src/core/error-catalogue";
import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError, VaultError } from "../../../bootstrap/src/core/errors";

const SRC = path.join(process.cwd(), "bootstrap", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** The SamError classes of errors.ts; outside errors.ts and error-catalogue.ts only catalogError builds them. */
const ERROR_CLASSES = ["UsageError", "SignInError", "VaultError", "ServiceError", "ConsentRequiredError", "SamError"];
/** The files allowed to construct them: the classes themselves and the catalogue. */
const CONSTRUCTORS = new Set([path.join("bootstrap", "src", "core", "errors.ts"), path.join("bootstrap", "src", "core", "error-catalogue.ts")]);

interface Site {
  where: string;
  code: string;
  /** The exit code a subclass passes to super(), when it names one. */
  exitCode?: number;
}

/** `file:line` of an offset. */
function at(where: string, text: string, index: number): string {
  return `${where}:${text.slice(0, index).split("\n").length}`;
}

/** Direct constructions of the error classes (and of cancellation.ts's CancelledError) in one file's text. */
function directConstructions(where: string, text: string): string[] {
  // retry.ts has a CancelledError of its own (a plain abort reason); cancellation.ts's is a SamError.
  const fromCancellation = /import\s*\{[^}]*\bCancelledError\b[^}]*\}\s*from\s*"(?:\.\.?\/)+(?:core\/)?cancellation"/.test(text);
  const classes = fromCancellation ? [...ERROR_CLASSES, "CancelledError"] : ERROR_CLASSES;
  return [...text.matchAll(new RegExp(`new (${classes.join("|")})\\(`, "g"))].map((m) => `${at(where, text, m.index)} new ${m[1]}(`);
}

/** Every error code bootstrap/src raises: catalogError's codes, and the fixed code of each SamError subclass. */
function raisedCodes(): Site[] {
  const found: Site[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const where = path.relative(process.cwd(), file);
    // catalogError("code", …), or catalogError(condition ? "a" : "b", …)
    for (const m of text.matchAll(/catalogError\(([^,{]*)/g)) {
      for (const c of m[1]!.matchAll(/"([a-z0-9_]+)"/g)) found.push({ where: at(where, text, m.index), code: c[1]! });
    }
    // class X extends ServiceError { … super("code", message, ExitCode.Y …
    for (const m of text.matchAll(/class \w+ extends (?:UsageError|SignInError|VaultError|ServiceError|SamError)\b[\s\S]*?super\(\s*"([a-z0-9_]+)"([\s\S]{0,600})/g)) {
      const exit = /ExitCode\.(\w+)/.exec(m[2]!)?.[1];
      found.push({ where: at(where, text, m.index), code: m[1]!, exitCode: exit ? ExitCode[exit as keyof typeof ExitCode] : undefined });
    }
  }
  return found;
}

describe("the error catalogue", () => {
  it("finds the library's error codes, so the checks below can fail", () => {
    const sites = raisedCodes();
    const codes = new Set(sites.map((r) => r.code));
    for (const code of ["invalid_options", "consent_required", "vault_forbidden", "stack_outputs_invalid", "entra_unreachable", "refresh_token_deleted", "app_secret_deleted", "cancelled", "api_call_failed"]) {
      expect(codes).toContain(code);
    }
    expect(sites.find((r) => r.code === "api_call_failed" && r.exitCode !== undefined)).toMatchObject({ exitCode: ExitCode.Failure });
  });

  it("is the only way bootstrap/src builds its errors: no `new UsageError(` and the like outside errors.ts and error-catalogue.ts", () => {
    const direct = sourceFiles(SRC)
      .filter((file) => !CONSTRUCTORS.has(path.relative(process.cwd(), file)))
      .flatMap((file) => directConstructions(path.relative(process.cwd(), file), readFileSync(file, "utf8")));
    expect(direct).toEqual([]);
  });

  it("spots a direct construction, so the check above can fail", () => {
    expect(directConstructions("x.ts", 'throw new VaultError("vault_error", "no");\nthrow new SamError("a", "b", 1);')).toEqual(["x.ts:1 new VaultError(", "x.ts:2 new SamError("]);
    expect(directConstructions("y.ts", 'import { CancelledError } from "../cancellation";\nthrow new CancelledError("SIGINT", "m");')).toEqual(["y.ts:2 new CancelledError("]);
    expect(directConstructions("z.ts", 'import { CancelledError } from "../retry";\nabort(new CancelledError("SIGINT"));')).toEqual([]);
  });

  it("lists every code the library raises", () => {
    const missing = raisedCodes().filter((r) => !catalogueEntry(r.code));
    expect(missing).toEqual([]);
  });

  it("gives each code one exit code: a subclass with a fixed code passes the catalogue's", () => {
    const differing = raisedCodes().filter((r) => r.exitCode !== undefined && catalogueEntry(r.code)?.exitCode !== r.exitCode);
    expect(differing).toEqual([]);
  });

  it("says for every code what happened and what to do next, with an exit code from the README's table", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.summary, code).toMatch(/\S/);
      expect(entry.hint, code).toMatch(/\S/);
      expect([ExitCode.Failure, ExitCode.Usage, ExitCode.ActionNeeded], code).toContain(entry.exitCode);
    }
  });

  it("builds a SamError with the catalogue's exit code and default hint, or the site's message and hint", () => {
    const plain = catalogError("invalid_token_request", { detail: "scopes must be a non-empty array" });
    expect(plain).toBeInstanceOf(UsageError);
    expect(plain).toMatchObject({ code: "invalid_token_request", exitCode: ExitCode.Usage, message: "The token request is invalid: scopes must be a non-empty array", hint: ERROR_CATALOGUE.invalid_token_request.hint });
    const specific = catalogError("consent_required", { message: "No refresh token is stored.", hint: "Run the bootstrap.", aadsts: "70008" });
    expect(specific).toBeInstanceOf(ConsentRequiredError);
    expect(specific).toMatchObject({ code: "consent_required", exitCode: ExitCode.ActionNeeded, message: "No refresh token is stored.", hint: "Run the bootstrap.", aadsts: "70008" });
    expect(catalogError("vault_forbidden")).toMatchObject({ exitCode: ExitCode.Failure, message: ERROR_CATALOGUE.vault_forbidden.summary });
  });

  it("raises each code as the class instanceof checks expect, with the catalogue's exit code", () => {
    const classes = { UsageError, SignInError, ConsentRequiredError, VaultError, ServiceError, SamError };
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
      const error = catalogError(code);
      expect(error.constructor.name, code).toBe(errorClassOf(code));
      expect(error, code).toBeInstanceOf(classes[errorClassOf(code)]);
      expect(error.exitCode, code).toBe(ERROR_CATALOGUE[code].exitCode);
    }
    expect(catalogError("vault_forbidden")).toBeInstanceOf(VaultError);
    expect(catalogError("app_secret_deleted")).toBeInstanceOf(VaultError);
    expect(catalogError("wrong_tenant")).toBeInstanceOf(SignInError);
    expect(catalogError("partner_center_error")).toBeInstanceOf(ServiceError);
    // Exit 3, yet not a sign-in problem: the customer tenant lacks the app or the user's GDAP role.
    expect(catalogError("gdap_access_missing")).toBeInstanceOf(ServiceError);
    expect(catalogError("customer_consent_missing")).toBeInstanceOf(ServiceError);
    expect(catalogError("refresh_token_deleted")).not.toBeInstanceOf(SignInError);
  });

  it("splits a deleted secret by what it needs: the refresh token a person (exit 3), an app secret `pulumi up` (exit 1)", () => {
    expect(catalogError("refresh_token_deleted")).toMatchObject({ exitCode: ExitCode.ActionNeeded });
    expect(catalogError("app_secret_deleted")).toMatchObject({ exitCode: ExitCode.Failure });
    expect(catalogueEntry("secret_deleted")).toBeUndefined();
  });

  it("makes `cancelled` with a signal a CancelledError, which the commands exit with as 128 + the signal's number", () => {
    const int = catalogError("cancelled", { signal: "SIGINT", message: "Cancelled (SIGINT)." });
    expect(int).toBeInstanceOf(CancelledError);
    expect(int).toMatchObject({ code: "cancelled", exitCode: ERROR_CATALOGUE.cancelled.exitCode, signalExitCode: 130, message: "Cancelled (SIGINT)." });
    expect(catalogError("cancelled", { signal: "SIGTERM" })).toMatchObject({ signalExitCode: 143 });
    expect(catalogError("cancelled")).not.toBeInstanceOf(CancelledError);
  });
});
