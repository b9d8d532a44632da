import { catalogError } from "../core/error-catalogue";
import { checkUrl, describeValue, URL_RULES, urlProblem, type UrlRule } from "../core/validate";

/**
 * Collects every problem with the command-line options, so they are reported
 * together rather than one per run.
 */
export class OptionProblems {
  private readonly problems: string[] = [];

  /**
   * Parses a whole number within [min, max]; records a problem otherwise. A
   * number (commander's default) is taken as it is.
   */
  integer(flag: string, raw: string | number | undefined, fallback: number, min: number, max: number): number {
    if (raw === undefined) return fallback;
    if (typeof raw === "number") return raw;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${flag} must be a whole number from ${min} to ${max}, got ${describeValue(raw)} (example: ${flag} ${fallback})`);
      return fallback;
    }
    return value;
  }

  /**
   * Checks a URL option against `rule` (the same check as the stack outputs):
   * returns its normal form, or records a problem (never showing a password).
   */
  url(flag: string, raw: string | undefined, rule: UrlRule): string | undefined {
    if (raw === undefined) return undefined;
    const check = checkUrl(raw, rule);
    if (check.ok) return check.normalized;
    this.problems.push(urlProblem(flag, check, rule));
    return undefined;
  }

  /** Checks an https URL option with a path allowed (see {@link url}). */
  httpsUrl(flag: string, raw: string | undefined): string | undefined {
    return this.url(flag, raw, URL_RULES.partnerCenterEndpoint);
  }

  /** Checks an authority host (https, host only); returns its normal form. */
  authorityHost(flag: string, raw: string | undefined): string | undefined {
    return this.url(flag, raw, URL_RULES.authorityHost);
  }

  /** Checks a Microsoft Graph endpoint: an https origin. */
  graphEndpoint(flag: string, raw: string | undefined): string | undefined {
    return this.url(flag, raw, URL_RULES.graphEndpoint);
  }

  /** Checks a Key Vault URI; returns it as given (the SDK wants its own form). */
  keyVaultUri(flag: string, raw: string | undefined): string | undefined {
    return this.url(flag, raw, URL_RULES.keyVaultUri) && raw;
  }

  /** Checks that an option naming something (a stack, a file) is not empty. */
  nonEmpty(flag: string, raw: string | undefined, what: string): void {
    if (raw !== undefined && raw.trim() === "") this.problems.push(`${flag} must name ${what}, got an empty value`);
  }

  /** Records a free-form problem. */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws one `invalid_options` error (exit 2) listing every problem, if there are any. */
  throwIfAny(): void {
    if (this.problems.length === 0) return;
    throw catalogError("invalid_options", { detail: `\n  - ${this.problems.join("\n  - ")}` });
  }
}
