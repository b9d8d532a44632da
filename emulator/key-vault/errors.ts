/**
 * Key Vault's error answers: the `{ error: { code, message, innererror? } }`
 * body, the service headers every answer carries, and the real wording of
 * ForbiddenByRbac, ForbiddenByFirewall, SecretNotFound,
 * ObjectIsDeletedButRecoverable, Throttled and the 5xx answers.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { sendJson } from "../http";

/** An error in Key Vault's `{ error: { code, message, innererror? } }` shape. */
export class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The headers the real service sends with every answer. */
export function serviceHeaders(): Record<string, string> {
  return {
    "x-ms-request-id": randomUUID(),
    "x-ms-keyvault-service-version": "1.9.2700.1",
    "x-ms-keyvault-region": "westeurope",
  };
}

/** Writes `err` as the service does: its status, `{ error }` body, service headers and the error's own headers. */
export function sendVaultError(res: http.ServerResponse, err: VaultError): void {
  const error: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.innerCode) error.innererror = { code: err.innerCode };
  sendJson(res, err.status, { error }, { ...serviceHeaders(), ...err.headers });
}

/** A 400 BadParameter. */
export function badParameter(message: string): VaultError {
  return new VaultError(400, "BadParameter", message);
}

/** `Caller: appid=…;oid=…;iss=…` as the 403 messages name the caller. */
function callerLine(claims: Record<string, unknown>): string {
  return `Caller: appid=${String(claims.appid ?? "")};oid=${String(claims.oid ?? "")};iss=${String(claims.iss ?? "")}`;
}

/** The firewall's refusal, as the real vault words it (hashicorp/terraform-provider-azurerm#20742). */
export function forbiddenByFirewall(vaultName: string, clientAddress: string, claims: Record<string, unknown>): VaultError {
  return new VaultError(
    403,
    "Forbidden",
    [
      "Client address is not authorized and caller is not a trusted service.",
      `Client address: ${clientAddress}`,
      callerLine(claims),
      `Vault: ${vaultName};location=westeurope`,
    ].join("\r\n"),
    "ForbiddenByFirewall",
  );
}

/** Where the RBAC refusal happened: the vault, its (made-up) subscription, the secret and the data action. */
export interface RbacScope {
  subscriptionId: string;
  vaultName: string;
  secretName?: string;
  action: string;
}

/** Azure RBAC's refusal (no role assignment, or one still propagating). */
export function forbiddenByRbac(scope: RbacScope, claims: Record<string, unknown>): VaultError {
  const resource = `/subscriptions/${scope.subscriptionId}/resourcegroups/pcsam-test/providers/microsoft.keyvault/vaults/${scope.vaultName}${scope.secretName ? `/secrets/${scope.secretName}` : ""}`;
  return new VaultError(
    403,
    "Forbidden",
    [
      "Caller is not authorized to perform action on resource.",
      "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
      callerLine(claims),
      `Action: '${scope.action}'`,
      `Resource: '${resource}'`,
      "Assignment: (not found)",
      "DenyAssignmentId: null",
      "DecisionReason: null ",
      `Vault: ${scope.vaultName};location=westeurope`,
      "",
    ].join("\r\n"),
    "ForbiddenByRbac",
  );
}

/** A live secret (or one version of it) that does not exist. */
export function secretNotFound(name: string, version?: string): VaultError {
  return new VaultError(404, "SecretNotFound", `A secret with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);
}

/** A deleted secret that does not exist (never deleted, recovered or purged). */
export function deletedSecretNotFound(name: string): VaultError {
  return new VaultError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
}

/** A write to a name that is in the deleted state. */
export function objectIsDeletedButRecoverable(name: string): VaultError {
  return new VaultError(
    409,
    "Conflict",
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** A read of a disabled secret version. */
export function secretDisabled(): VaultError {
  return new VaultError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
}

/** A 429; `retryAfterSeconds` becomes `Retry-After` only when given. */
export function throttled(retryAfterSeconds: number | undefined): VaultError {
  return new VaultError(
    429,
    "Throttled",
    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
    undefined,
    retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  );
}

/** A 500 InternalServerError. */
export function internalServerError(): VaultError {
  return new VaultError(500, "InternalServerError", "An unexpected error occurred while processing the request.");
}

/** A 503 ServiceUnavailable. */
export function serviceUnavailable(): VaultError {
  return new VaultError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.");
}

/** A 401 with the bearer challenge naming the tenant's authority and the vault resource. */
export function unauthorized(message: string, challenge: Record<string, string>): VaultError {
  return new VaultError(401, "Unauthorized", message, undefined, challenge);
}
