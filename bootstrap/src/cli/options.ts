import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, type SecretNames } from "../contract";
import { UsageError } from "../errors";
import type { Reporter } from "../reporter";
import { loadStackOutputs, type StackOutputs } from "../stack-outputs";
import { describeValue, isHttpsUrl, trimTrailingSlash } from "../validate";
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

  /** Checks an https URL option; records a problem otherwise. */
  httpsUrl(flag: string, raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    if (!isHttpsUrl(raw)) {
      this.problems.push(`${flag} must be an https URL, got ${describeValue(raw)}`);
      return undefined;
    }
    return trimTrailingSlash(raw);
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

/** Checks the location flags; to be called before {@link OptionProblems.throwIfAny}. */
export function checkTargetFlags(flags: TargetFlags, problems: OptionProblems): TargetFlags {
  if (flags.vaultUri !== undefined && (flags.stack !== undefined || flags.outputs !== undefined)) {
    problems.add("--vault-uri cannot be combined with --stack or --outputs: pass one way to find the vault");
  }
  if (flags.stack !== undefined && flags.outputs !== undefined) problems.add("--stack and --outputs are alternatives: pass one of them");
  return {
    ...flags,
    vaultUri: flags.vaultUri === undefined ? undefined : problems.httpsUrl("--vault-uri", flags.vaultUri) && flags.vaultUri,
    authorityHost: problems.httpsUrl("--authority-host", flags.authorityHost),
    partnerCenterEndpoint: problems.httpsUrl("--partner-center-endpoint", flags.partnerCenterEndpoint),
  };
}

/**
 * Resolves the vault target: `--vault-uri` alone (default secret names, public
 * cloud unless overridden), or the stack outputs. `--authority-host` and then
 * AZURE_AUTHORITY_HOST override the authority host in both cases.
 */
export async function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Promise<VaultTarget & { outputs?: StackOutputs }> {
  const envAuthority = env.AZURE_AUTHORITY_HOST ? trimTrailingSlash(env.AZURE_AUTHORITY_HOST) : undefined;
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

/** The vault store for a resolved target; waits are explained through the reporter. */
export function openVaultStore(target: VaultTarget, accessWaitSeconds: number, reporter: Reporter): VaultStore {
  return new VaultStore({
    keyVaultUri: target.keyVaultUri,
    secretNames: target.secretNames,
    accessWaitMs: accessWaitSeconds * 1000,
    onWait: (message) => reporter.note(message),
  });
}
