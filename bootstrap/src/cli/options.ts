import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, type SecretNames } from "../contract";
import { UsageError } from "../errors";
import type { Reporter } from "../reporter";
import { Deadline } from "../retry";
import { loadStackOutputs, type StackOutputs } from "../stack-outputs";
import { checkUrl, describeValue, URL_RULES, urlProblem, type UrlRule } from "../validate";
import { VaultStore } from "../vault-store";

/**
 * Collects every problem with the command-line options, so they are reported
 * together rather than one per run.
 */
export class OptionProblems {
  private readonly problems: string[] = [];

  /** Parses a whole number within [min, max]; records a problem otherwise. */
  integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
    if (raw === undefined) return fallback;
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

  /** Checks that an option naming something (a stack, a file) is not empty. */
  nonEmpty(flag: string, raw: string | undefined, what: string): void {
    if (raw !== undefined && raw.trim() === "") this.problems.push(`${flag} must name ${what}, got an empty value`);
  }

  /** Records a free-form problem. */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws one UsageError listing every problem, if there are any. */
  throwIfAny(): void {
    if (this.problems.length === 0) return;
    throw new UsageError("invalid_options", `Invalid options:\n  - ${this.problems.join("\n  - ")}`, {
      hint: "Run the command with --help to see every option.",
    });
  }
}

/** Where refresh and status find the vault and the endpoints. */
export interface VaultTarget {
  keyVaultUri: string;
  secretNames: SecretNames;
  authorityHost: string;
  partnerCenterEndpoint: string;
}

/** Options every command has. */
export interface CommonFlags {
  accessWait?: string;
  json?: boolean;
}

/** The options refresh and status share for finding the vault. */
export interface TargetFlags extends CommonFlags {
  stack?: string;
  outputs?: string;
  vaultUri?: string;
  authorityHost?: string;
  partnerCenterEndpoint?: string;
}

/**
 * The authority host from AZURE_AUTHORITY_HOST, checked like `--authority-host`;
 * undefined when unset or empty. To be called before {@link OptionProblems.throwIfAny}.
 */
export function checkEnvAuthorityHost(problems: OptionProblems, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.AZURE_AUTHORITY_HOST;
  return raw ? problems.url("AZURE_AUTHORITY_HOST (environment)", raw, URL_RULES.authorityHost) : undefined;
}

/** Checks the location flags and AZURE_AUTHORITY_HOST; to be called before {@link OptionProblems.throwIfAny}. */
export function checkTargetFlags(flags: TargetFlags, problems: OptionProblems, env: NodeJS.ProcessEnv = process.env): TargetFlags & { envAuthorityHost?: string } {
  if (flags.vaultUri !== undefined && (flags.stack !== undefined || flags.outputs !== undefined)) {
    problems.add("--vault-uri cannot be combined with --stack or --outputs: pass one way to find the vault");
  }
  if (flags.stack !== undefined && flags.outputs !== undefined) problems.add("--stack and --outputs are alternatives: pass one of them");
  problems.nonEmpty("--stack", flags.stack, "a Pulumi stack (omit it to use the selected stack)");
  problems.nonEmpty("--outputs", flags.outputs, "a file");
  return {
    ...flags,
    vaultUri: flags.vaultUri === undefined ? undefined : problems.url("--vault-uri", flags.vaultUri, URL_RULES.keyVaultUri) && flags.vaultUri,
    authorityHost: problems.url("--authority-host", flags.authorityHost, URL_RULES.authorityHost),
    partnerCenterEndpoint: problems.url("--partner-center-endpoint", flags.partnerCenterEndpoint, URL_RULES.partnerCenterEndpoint),
    envAuthorityHost: checkEnvAuthorityHost(problems, env),
  };
}

/**
 * Resolves the vault target: `--vault-uri` alone (default secret names, public
 * cloud unless overridden), or the stack outputs. `--authority-host` and then
 * AZURE_AUTHORITY_HOST override the authority host in both cases.
 */
export async function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Promise<VaultTarget & { outputs?: StackOutputs }> {
  const problems = new OptionProblems();
  const envAuthority = checkEnvAuthorityHost(problems, env);
  problems.throwIfAny();
  if (flags.vaultUri) {
    return {
      keyVaultUri: flags.vaultUri,
      secretNames: { ...DEFAULT_SECRET_NAMES },
      authorityHost: flags.authorityHost ?? envAuthority ?? PUBLIC_AUTHORITY_HOST,
      partnerCenterEndpoint: flags.partnerCenterEndpoint ?? PUBLIC_PARTNER_CENTER_ENDPOINT,
    };
  }
  const outputs = await loadStackOutputs({ stack: flags.stack, outputsFile: flags.outputs });
  return {
    keyVaultUri: outputs.keyVaultUri,
    secretNames: outputs.secretNames,
    authorityHost: flags.authorityHost ?? envAuthority ?? outputs.authorityHost,
    partnerCenterEndpoint: flags.partnerCenterEndpoint ?? outputs.partnerCenterEndpoint,
    outputs,
  };
}

/**
 * The command's overall deadline: `--timeout` seconds plus `--access-wait`
 * seconds (the time a role assignment may take to propagate is waited on top).
 */
export function commandDeadline(timeoutSeconds: number, accessWaitSeconds: number): Deadline {
  return new Deadline((timeoutSeconds + accessWaitSeconds) * 1000);
}

/** The vault store for a resolved target; waits are explained through the reporter; no call outlives `deadline`. */
export function openVaultStore(target: VaultTarget, accessWaitSeconds: number, reporter: Reporter, deadline?: Deadline): VaultStore {
  return new VaultStore({
    keyVaultUri: target.keyVaultUri,
    secretNames: target.secretNames,
    accessWaitMs: accessWaitSeconds * 1000,
    deadline,
    onWait: (message) => reporter.note(message),
  });
}
