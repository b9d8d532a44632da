/**
 * Who may call the vault: the bearer challenge and token validation with
 * Key Vault's AKV messages, the data-plane roles (Secrets Officer / Secrets
 * User) and the data actions RBAC names, and the firewall switch.
 */
import type http from "node:http";
import { AccessTokenError, type EntraEmulator } from "../entra";
import { bearerToken } from "../http";
import { unauthorized } from "./errors";
import type { Operation, VaultRole } from "./types";

/** The data action each operation needs, as ForbiddenByRbac names it. */
export const ACTIONS: Record<Operation["kind"], string> = {
  set: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
  get: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  list: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  versions: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  update: "Microsoft.KeyVault/vaults/secrets/writeMetadata/action",
  delete: "Microsoft.KeyVault/vaults/secrets/delete",
  getDeleted: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  listDeleted: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  recover: "Microsoft.KeyVault/vaults/secrets/recover/action",
  purge: "Microsoft.KeyVault/vaults/secrets/purge/action",
};

/** Secrets Officer may do everything with secrets; Secrets User may read them and their metadata (deleted ones included). */
export const ROLE_ALLOWS: Record<VaultRole, ReadonlySet<Operation["kind"]>> = {
  officer: new Set(["set", "get", "list", "versions", "update", "delete", "getDeleted", "listDeleted", "recover", "purge"]),
  user: new Set(["get", "list", "versions", "getDeleted", "listDeleted"]),
};

/** The vault's access settings: role assignments by object id, and the firewall. */
export interface VaultPolicy {
  readonly roles: Map<string, VaultRole>;
  /** When set, every authenticated request is refused with ForbiddenByFirewall naming this client address. */
  firewallAddress?: string;
}

/** What token validation checks against: the issuing Entra stand-in, the vault's tenant and resource. */
export interface TokenAudience {
  entra: EntraEmulator;
  /** Lower-cased tenant id. */
  tenantId: string;
  /** The challenge resource and token audience, e.g. `https://vault.localhost:41234`. */
  resource: string;
}

/** The bearer token's claims, or a 401 with the challenge and the service's AKV message. */
export function authenticate(req: http.IncomingMessage, audience: TokenAudience): Record<string, unknown> {
  const challenge = {
    "www-authenticate": `Bearer authorization="${audience.entra.url}/${audience.tenantId}", resource="${audience.resource}"`,
  };
  const token = bearerToken(req);
  if (!token) throw unauthorized("AKV10000: Request is missing a Bearer or PoP token.", challenge);
  try {
    return audience.entra.verifyAccessToken(token, { audience: audience.resource, tenantId: audience.tenantId });
  } catch (err) {
    if (!(err instanceof AccessTokenError)) throw err;
    const messages: Record<AccessTokenError["reason"], string> = {
      malformed: "AKV10000: Request is missing a Bearer or PoP token.",
      signature: "AKV10038: Token validation failed: the signature is not valid.",
      issuer: `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${audience.tenantId}/.`,
      tenant: `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${audience.tenantId}/.`,
      audience: `AKV10022: Invalid audience. Expected ${audience.resource}.`,
      expired: "AKV10013: Token validation failed: the token is expired.",
      "not-yet-valid": "AKV10013: Token validation failed: the token is not yet valid.",
    };
    throw unauthorized(messages[err.reason], challenge);
  }
}
