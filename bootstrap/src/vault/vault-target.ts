import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_GRAPH_ENDPOINT, PUBLIC_PARTNER_CENTER_ENDPOINT, type SecretNames } from "../core/contract";
import type { Progress } from "../core/progress";
import type { Deadline } from "../core/retry";
import { loadStackOutputs, type StackOutputs } from "./stack-outputs";
import { VaultStore } from "./vault-store";

/** Where the refresh token lives and which endpoints redeem and use it. */
export interface VaultTarget {
  keyVaultUri: string;
  secretNames: SecretNames;
  authorityHost: string;
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint: `--graph-endpoint`, else the stack output `graphEndpoint`, else the public cloud's. */
  graphEndpoint: string;
}

/**
 * How to find the vault (validated command-line input): `vaultUri` alone, or the
 * stack outputs (`outputsFile`, or the Pulumi CLI for `stack`), with optional
 * endpoint overrides.
 */
export interface TargetSource {
  vaultUri?: string;
  stack?: string;
  outputsFile?: string;
  /** Overrides the stack's (or the public) authority host. */
  authorityHost?: string;
  /** Overrides the stack's (or the public) Partner Center endpoint. */
  partnerCenterEndpoint?: string;
  /** Overrides the stack's (or the public) Microsoft Graph endpoint. */
  graphEndpoint?: string;
}

/**
 * Resolves the vault target: `vaultUri` alone (default secret names, public
 * cloud unless overridden), or the stack outputs.
 */
export async function resolveTarget(source: TargetSource): Promise<VaultTarget & { outputs?: StackOutputs }> {
  if (source.vaultUri) {
    return {
      keyVaultUri: source.vaultUri,
      secretNames: { ...DEFAULT_SECRET_NAMES },
      authorityHost: source.authorityHost ?? PUBLIC_AUTHORITY_HOST,
      partnerCenterEndpoint: source.partnerCenterEndpoint ?? PUBLIC_PARTNER_CENTER_ENDPOINT,
      graphEndpoint: source.graphEndpoint ?? PUBLIC_GRAPH_ENDPOINT,
    };
  }
  const outputs = await loadStackOutputs({ stack: source.stack, outputsFile: source.outputsFile });
  return {
    keyVaultUri: outputs.keyVaultUri,
    secretNames: outputs.secretNames,
    authorityHost: source.authorityHost ?? outputs.authorityHost,
    partnerCenterEndpoint: source.partnerCenterEndpoint ?? outputs.partnerCenterEndpoint,
    graphEndpoint: source.graphEndpoint ?? outputs.graphEndpoint ?? PUBLIC_GRAPH_ENDPOINT,
    outputs,
  };
}

/** A step message saying where the stack outputs come from. */
export function describeSource(source: TargetSource): string {
  if (source.vaultUri) return `Using Key Vault ${source.vaultUri}`;
  return source.outputsFile ? `Reading stack outputs from ${source.outputsFile}` : `Reading stack outputs with \`pulumi stack output\`${source.stack ? ` (stack ${source.stack})` : ""}`;
}

/** The vault store for a resolved target; waits are explained through `progress`; no call outlives `deadline`. */
export function openVaultStore(target: VaultTarget, accessWaitMs: number, progress: Progress, deadline?: Deadline): VaultStore {
  return new VaultStore({
    keyVaultUri: target.keyVaultUri,
    secretNames: target.secretNames,
    accessWaitMs,
    deadline,
    onWait: (message, delayMs) => (progress.wait ? progress.wait(message, delayMs) : progress.note(message)),
  });
}
