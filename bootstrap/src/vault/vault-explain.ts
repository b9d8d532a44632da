/**
 * What a failed vault call means, in words that say what to do: the answer
 * classified (credential, timeout, throttling, firewall, deleted, forbidden,
 * unreadable, a challenge for another resource, a name that does not resolve)
 * into one catalogued error. Used by every call of the vault store.
 */
import { networkProblem, networkProblemError } from "../core/network-problems";
import { CREDENTIAL_TIMEOUT_SUBJECT } from "./azure-credential";
import { clientAddress, firstLine, foreignChallengeResource, innerCode, isCredentialError, isDisabled, isNotFound, statusOf } from "./vault-errors";
import { catalogError } from "../core/error-catalogue";
import { isUnreadableAnswer } from "../core/terminal";
import { SamError } from "../core/errors";
import { CancelledError, RetryAfterTooLongError, TimeoutError, describeAttempts } from "../core/retry";

/** What the call was doing. */
export type Access = "read" | "write" | "recover";

const ROLE_FOR: Record<Access, string> = {
  read: "Key Vault Secrets User (or Key Vault Secrets Officer)",
  write: "Key Vault Secrets Officer",
  recover: "Key Vault Secrets Officer",
};

/** The call that failed, and the vault it went to. */
export interface VaultErrorContext {
  access: Access;
  /** The secret's name, or "(list)". */
  name: string;
  /** What the call was doing, e.g. "reading". */
  doing: string;
  keyVaultUri: string;
  host: string;
  vaultName: string;
  refreshTokenName: string;
}

/** The `az` command that recovers or purges a deleted secret of a vault. */
export function azSecretCommand(vaultName: string, verb: "recover" | "purge", name: string): string {
  return `az keyvault secret ${verb} --vault-name ${vaultName} --name ${name}`;
}

/** Turns a failed vault call into the catalogued error that says what happened and what to do; SamErrors, 404 and disabled pass through. */
export function explainVaultError(error: unknown, context: VaultErrorContext): unknown {
const { access, name, doing, keyVaultUri, host } = context;
  if (error instanceof SamError || isNotFound(error) || isDisabled(error)) return error;
  const target = name === "(list)" ? "the vault" : `"${name}"`;
  if (error instanceof TimeoutError && error.what?.startsWith(CREDENTIAL_TIMEOUT_SUBJECT)) {
    return catalogError("azure_credential_timeout", {
      message: `No Azure token for Key Vault ${host} while ${doing} ${target}: the Azure credential gave none (${error.reason}).`,
      cause: error,
      hint: "Check the credential this machine uses: `az account get-access-token --resource https://vault.azure.net` for the Azure CLI, the managed-identity endpoint (IDENTITY_ENDPOINT or IMDS) for a managed identity; AZURE_TOKEN_CREDENTIALS picks one credential.",
    });
  }
  if (error instanceof TimeoutError) {
    return catalogError("vault_timeout", {
      message: `Key Vault ${host} did not answer in time while ${doing} ${target}: ${error.reason}.`,
      cause: error,
      hint: "Check the network path to the vault (proxy, VPN, private endpoint) and the vault's health in the Azure portal, then run the command again.",
    });
  }
  if (error instanceof CancelledError) {
    return catalogError("cancelled", {
      message: `Cancelled (${error.signalName}) while ${doing} ${target} in ${keyVaultUri}.`,
      signal: error.signalName,
      cause: error,
      hint: "Run the command again when it can finish.",
    });
  }
  if (error instanceof RetryAfterTooLongError) {
    return catalogError("vault_throttled", {
      message: `Key Vault ${host} is throttling requests (429) while ${doing} ${target}: ${error.message}.`,
      cause: error,
      hint: `Run the command again after ${Math.ceil(error.retryAfterMs / 1000)} s; if it keeps happening, reduce other traffic to the vault.`,
    });
  }
  const status = statusOf(error);
  const role = ROLE_FOR[access];
  const inner = innerCode(error);
  if (status === 403 && inner === "ForbiddenByFirewall") {
    const address = clientAddress(error);
    const ip = address ?? "<this machine's public IP>";
    return catalogError("vault_firewall", {
      message: `Key Vault ${keyVaultUri} refused the request from ${address ? `client address ${address}` : "this machine's address"}: it is outside the vault's network rules (the stack's allowedIpRanges). Waiting does not help.`,
      cause: error,
      hint: `Allow this address with \`pulumi config set --path 'partner-center-sam:allowedIpRanges[N]' ${ip}\` (N = the next free index) and \`pulumi up\`, or run from a network the vault already allows.`,
    });
  }
  if (status === 409 && (inner === "ObjectIsDeletedButRecoverable" || inner === "ObjectIsBeingDeleted")) {
    // The refresh token needs a person (recover it, or purge it and sign in again); an app secret needs `pulumi up` after recovery.
    return catalogError(name === context.refreshTokenName ? "refresh_token_deleted" : "app_secret_deleted", {
      message: `Key Vault ${keyVaultUri} refused to ${access} "${name}" (409 ${inner}): the secret is in the deleted state.`,
      cause: error,
      hint: `Recover it with \`${azSecretCommand(context.vaultName, "recover", name)}\` (or purge it with \`${azSecretCommand(context.vaultName, "purge", name)}\`), then run the command again.`,
    });
  }
  if (status === 403) {
    const why = inner && inner !== "ForbiddenByRbac" ? ` (${inner})` : "";
    return catalogError("vault_forbidden", {
      message: `Key Vault ${keyVaultUri} denied ${access} access to "${name}" (403${why}).`,
      cause: error,
      hint: `Give your identity the "${role}" role on the vault (the stack grants it to the deploying identity and to secretWriters/secretReaders), or wait for a new role assignment to propagate and retry with a longer --access-wait.`,
    });
  }
  if (status === 401) {
    return catalogError("vault_unauthorized", {
      message: `Key Vault ${keyVaultUri} did not accept the credential (401).`,
      cause: error,
      hint: "Sign in to the vault's tenant (for example `az login --tenant TENANT`), or set AZURE_TOKEN_CREDENTIALS to the credential you mean to use.",
    });
  }
  if (isCredentialError(error)) {
    return catalogError("azure_credential_unavailable", {
      message: `No Azure credential could get a token for Key Vault: ${firstLine(error)}`,
      cause: error,
      hint: "Sign in with `az login` (or `azd auth login`), or run where a managed identity / AZURE_CLIENT_ID+AZURE_TENANT_ID+AZURE_CLIENT_SECRET is available. AZURE_TOKEN_CREDENTIALS picks one credential.",
    });
  }
  if (isUnreadableAnswer(error)) {
    return catalogError("vault_error", {
      message: `Key Vault ${keyVaultUri} sent an answer for ${target} that could not be read (cut off, or not valid JSON)${describeAttempts(error)}; it is not shown, as it may hold the secret.`,
      cause: error,
      hint: "Check for a proxy or gateway between this machine and the vault that cuts answers off, then run the command again.",
    });
  }
  const foreign = foreignChallengeResource(error);
  if (foreign !== undefined) {
    return catalogError("vault_challenge_mismatch", {
      message: `${keyVaultUri} asked for a token for "${foreign}", which is not this vault's domain, so no token was sent. Either the URI is not a Key Vault of this cloud (vault.azure.net in the public cloud), or something between this machine and the vault (a proxy, a TLS-inspecting gateway) answers in its place.`,
      cause: error,
      hint: "Check the vault URI (--vault-uri, or the stack's keyVaultUri output) and the proxy settings (HTTPS_PROXY), then run the command again.",
    });
  }
  if (status !== undefined) {
    const retried = describeAttempts(error);
    return catalogError("vault_error", {
      message: `Key Vault ${keyVaultUri} answered ${status} for "${name}"${retried}: ${firstLine(error)}`,
      cause: error,
      hint: "Retry later; if it persists, check the vault in the Azure portal.",
    });
  }
  const problem = networkProblem(error);
  if (problem) return networkProblemError(problem, { service: "Key Vault", url: keyVaultUri, cause: error });
  return catalogError("vault_unreachable", {
    message: `Key Vault ${keyVaultUri} could not be reached: ${firstLine(error)}`,
    cause: error,
    hint: "Check the vault URI, your network and proxy, and the vault firewall (the stack's allowedIpRanges).",
  });
}
