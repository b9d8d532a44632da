/**
 * The error catalogue is the one list of error codes: every code the library
 * raises is in it, with the exit code the raising site gives it.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalogError, catalogueEntry, ERROR_CATALOGUE } from "../../bootstrap/src/error-catalogue";
import { ConsentRequiredError, ExitCode, SamError, ServiceError, SignInError, UsageError, VaultError } from "../../bootstrap/src/errors";

const SRC = path.join(process.cwd(), "bootstrap", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** Exit code each error class fixes (ServiceError and SamError take one as an argument). */
const CLASS_EXIT: Record<string, number | undefined> = { UsageError: ExitCode.Usage, SignInError: ExitCode.ActionNeeded, VaultError: ExitCode.Failure, ConsentRequiredError: ExitCode.ActionNeeded };

/** Every error construction with a literal code in bootstrap/src: where, which code, which exit code. */
function raisedCodes(): Array<{ where: string; code: string; exitCode: number | undefined }> {
  const found: Array<{ where: string; code: string; exitCode: number | undefined }> = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const where = path.relative(process.cwd(), file);
    for (const m of text.matchAll(/new (UsageError|SignInError|VaultError|ServiceError|SamError)\(\s*"([a-z0-9_]+)"([\s\S]{0,600})/g)) {
      const [, cls, code, rest] = m;
      let exitCode = CLASS_EXIT[cls!];
      if (cls === "ServiceError" || cls === "SamError") {
        // The exit code argument follows the message; ServiceError defaults to 1.
        const explicit = /^[\s\S]*?,\s*(?:undefined|ExitCode\.(\w+))\s*[,)]/.exec(rest!.replace(/`[^`]*`|"(?:[^"\\]|\\.)*"/g, '""'));
        exitCode = explicit?.[1] ? ExitCode[explicit[1] as keyof typeof ExitCode] : cls === "ServiceError" ? ExitCode.Failure : undefined;
      }
      found.push({ where, code: code!, exitCode });
    }
    for (const m of text.matchAll(/new ConsentRequiredError\(/g)) found.push({ where: `${where}@${m.index}`, code: "consent_required", exitCode: ExitCode.ActionNeeded });
    for (const m of text.matchAll(/catalogError\(\s*"([a-z0-9_]+)"/g)) found.push({ where, code: m[1]!, exitCode: undefined });
  }
  return found;
}

/**
 * Sites whose exit code differs from the catalogue's, known and to be unified:
 * a deleted secret read while reading the app's credentials exits 1, one met on
 * the refresh-token write-back exits 3 (a person must recover it); `cancelled`
 * always ends in 130/143, whatever the error's own exit code.
 */
const KNOWN_DIFFERENCES = new Set(["secret_deleted", "cancelled"]);

describe("the error catalogue", () => {
  it("finds the library's error constructions, so the checks below can fail", () => {
    const codes = new Set(raisedCodes().map((r) => r.code));
    for (const code of ["invalid_options", "consent_required", "vault_forbidden", "stack_outputs_invalid", "entra_unreachable"]) expect(codes).toContain(code);
  });

  it("lists every code the library raises", () => {
    const missing = raisedCodes().filter((r) => !catalogueEntry(r.code));
    expect(missing).toEqual([]);
  });

  it("gives each code the exit code its raising sites use", () => {
    const differing = raisedCodes().filter((r) => r.exitCode !== undefined && !KNOWN_DIFFERENCES.has(r.code) && catalogueEntry(r.code)?.exitCode !== r.exitCode);
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
    expect(catalogError("vault_forbidden")).toBeInstanceOf(VaultError);
    expect(catalogError("wrong_tenant")).toBeInstanceOf(SignInError);
    expect(catalogError("partner_center_error")).toBeInstanceOf(ServiceError);
    expect(catalogError("secret_deleted")).toBeInstanceOf(SamError);
  });
});
