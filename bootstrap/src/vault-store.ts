import type { TokenCredential } from "@azure/core-auth";
import { SecretClient, type SecretClientOptions, type SecretProperties } from "@azure/keyvault-secrets";
import { defaultCredential } from "./azure-credential";
import { REFRESH_TOKEN_CONTENT_TYPE, REFRESH_TOKEN_LIFETIME_DAYS, type SecretNames } from "./contract";
import { ConsentRequiredError, SamError, VaultError } from "./errors";
import { retryWithBackoff } from "./retry";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options for {@link VaultStore}. */
export interface VaultStoreOptions {
  /** The vault URI, e.g. `https://kv-name.vault.azure.net/`. */
  keyVaultUri: string;
  /** The names of the app's secrets in the vault. */
  secretNames: SecretNames;
  /** Credential for the vault; defaults to DefaultAzureCredential. */
  credential?: TokenCredential;
  /** How long to keep retrying 403 (role propagation), 429 and 5xx answers, in ms. Default 0: no retries. */
  accessWaitMs?: number;
  /** Told before each retry wait, so a command can say why it waits. */
  onWait?: (message: string) => void;
  /** Passed to the SecretClient (pipeline, retry and API-version options). */
  clientOptions?: SecretClientOptions;
}

/** The app credentials the stack stores in the vault. */
export interface AppCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** Tags on the refresh-token secret; `refresh` and `status` rely on them. */
export interface RefreshTokenTags {
  consentedAt: string;
  consentedBy: string;
  mfa: "true" | "false";
  tenantId: string;
  clientId: string;
  refreshedAt: string;
}

/** The stored refresh token and what the vault knows about it. */
export interface StoredRefreshToken {
  value: string;
  version?: string;
  tags: Partial<RefreshTokenTags>;
  updatedOn?: Date;
  expiresOn?: Date;
}

/** The metadata of one secret, without its value. */
export interface SecretMetadata {
  name: string;
  enabled: boolean;
  expiresOn?: Date;
  updatedOn?: Date;
  createdOn?: Date;
  contentType?: string;
  tags: Record<string, string>;
}

type Access = "read" | "write";

const ROLE_FOR: Record<Access, string> = {
  read: "Key Vault Secrets User (or Key Vault Secrets Officer)",
  write: "Key Vault Secrets Officer",
};

/**
 * The vault side of the contract: reads the app's credentials and the refresh
 * token, writes new refresh-token versions, and lists secret metadata.
 */
export class VaultStore {
  readonly keyVaultUri: string;
  readonly secretNames: SecretNames;
  private readonly client: SecretClient;
  private readonly accessWaitMs: number;
  private readonly onWait?: (message: string) => void;

  constructor(options: VaultStoreOptions) {
    this.keyVaultUri = options.keyVaultUri;
    this.secretNames = options.secretNames;
    this.accessWaitMs = options.accessWaitMs ?? 0;
    this.onWait = options.onWait;
    this.client = new SecretClient(options.keyVaultUri, options.credential ?? defaultCredential(), {
      retryOptions: { maxRetries: 2 },
      ...options.clientOptions,
    });
  }

  /** Reads the client id, tenant id and client secret the stack stored. */
  async readAppCredentials(): Promise<AppCredentials> {
    const [clientId, tenantId, clientSecret] = await Promise.all([
      this.readRequired(this.secretNames.clientId),
      this.readRequired(this.secretNames.tenantId),
      this.readRequired(this.secretNames.clientSecret),
    ]);
    return { clientId: clientId.trim(), tenantId: tenantId.trim(), clientSecret };
  }

  /** Reads the latest refresh token; a missing one means the bootstrap has not run. */
  async readRefreshToken(): Promise<StoredRefreshToken> {
    const name = this.secretNames.refreshToken;
    const secret = await this.call("read", name, () => this.client.getSecret(name)).catch((error: unknown) => {
      if (isNotFound(error)) {
        throw new ConsentRequiredError(`No refresh token is stored in ${this.keyVaultUri} (secret "${name}").`, {
          hint: "Run `npm run bootstrap` to sign in once with MFA and store the first refresh token.",
        });
      }
      if (isDisabled(error)) {
        throw new ConsentRequiredError(`The latest version of the refresh-token secret "${name}" is disabled.`, {
          hint: "Run `npm run bootstrap` to store a new refresh token (or enable that version again in the vault).",
        });
      }
      throw error;
    });
    if (!secret.value || secret.properties.enabled === false) {
      throw new ConsentRequiredError(`The refresh-token secret "${name}" is empty or disabled.`, {
        hint: "Run `npm run bootstrap` to store a new refresh token.",
      });
    }
    return {
      value: secret.value,
      version: secret.properties.version,
      tags: (secret.properties.tags ?? {}) as Partial<RefreshTokenTags>,
      updatedOn: secret.properties.updatedOn,
      expiresOn: secret.properties.expiresOn,
    };
  }

  /**
   * Stores a refresh token as a new secret version, expiring after the token's
   * inactivity lifetime. Returns the new version and its expiry.
   */
  async writeRefreshToken(value: string, tags: RefreshTokenTags, now = new Date()): Promise<{ version?: string; expiresOn: Date }> {
    const name = this.secretNames.refreshToken;
    const expiresOn = new Date(now.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS);
    const stored = await this.call("write", name, () =>
      this.client.setSecret(name, value, { contentType: REFRESH_TOKEN_CONTENT_TYPE, expiresOn, tags: { ...tags } }),
    );
    return { version: stored.properties.version, expiresOn: stored.properties.expiresOn ?? expiresOn };
  }

  /** Lists the metadata (never the values) of the secrets named in the contract. */
  async readMetadata(): Promise<Map<string, SecretMetadata>> {
    const wanted = new Set(Object.values(this.secretNames));
    return this.call("read", "(list)", async () => {
      const found = new Map<string, SecretMetadata>();
      for await (const properties of this.client.listPropertiesOfSecrets()) {
        if (wanted.has(properties.name)) found.set(properties.name, toMetadata(properties));
      }
      return found;
    });
  }

  private async readRequired(name: string): Promise<string> {
    try {
      const secret = await this.call("read", name, () => this.client.getSecret(name));
      if (!secret.value) throw new VaultError("secret_empty", `The secret "${name}" in ${this.keyVaultUri} is empty.`, { hint: "Run `pulumi up` to write it again." });
      return secret.value;
    } catch (error) {
      if (isDisabled(error)) {
        throw new VaultError("secret_disabled", `The secret "${name}" in ${this.keyVaultUri} is disabled.`, {
          hint: "Enable its latest version in the vault, or run `pulumi up` to write it again.",
        });
      }
      if (isNotFound(error)) {
        throw new VaultError("secret_missing", `The secret "${name}" was not found in ${this.keyVaultUri}.`, {
          hint: "Run `pulumi up` for this stack: it writes the app's client id, tenant id and client secret to the vault.",
        });
      }
      throw error;
    }
  }

  /** Runs a vault call with retries for propagation and throttling, and maps its errors. */
  private async call<T>(access: Access, name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await retryWithBackoff(operation, {
        maxWaitMs: this.accessWaitMs,
        isRetryable: (error) => [403, 429, 500, 502, 503, 504].includes(statusOf(error) ?? 0) && !isDisabled(error),
        onRetry: ({ delayMs, error }) =>
          this.onWait?.(
            statusOf(error) === 403
              ? `Key Vault denied access (403). New role assignments can take minutes to apply; retrying in ${Math.round(delayMs / 1000)} s.`
              : `Key Vault answered ${statusOf(error)}; retrying in ${Math.round(delayMs / 1000)} s.`,
          ),
      });
    } catch (error) {
      throw this.explain(error, access, name);
    }
  }

  private explain(error: unknown, access: Access, name: string): unknown {
    if (error instanceof SamError || isNotFound(error) || isDisabled(error)) return error;
    const status = statusOf(error);
    const role = ROLE_FOR[access];
    if (status === 403) {
      return new VaultError("vault_forbidden", `Key Vault ${this.keyVaultUri} denied ${access} access to "${name}" (403).`, {
        cause: error,
        hint: `Give your identity the "${role}" role on the vault (the stack grants it to the deploying identity and to secretWriters/secretReaders), or wait for a new role assignment to propagate and retry with a longer --access-wait.`,
      });
    }
    if (status === 401) {
      return new VaultError("vault_unauthorized", `Key Vault ${this.keyVaultUri} did not accept the credential (401).`, {
        cause: error,
        hint: "Sign in to the vault's tenant (for example `az login --tenant TENANT`), or set AZURE_TOKEN_CREDENTIALS to the credential you mean to use.",
      });
    }
    if (isCredentialError(error)) {
      return new VaultError("azure_credential_unavailable", `No Azure credential could get a token for Key Vault: ${firstLine(error)}`, {
        cause: error,
        hint: "Sign in with `az login` (or `azd auth login`), or run where a managed identity / AZURE_CLIENT_ID+AZURE_TENANT_ID+AZURE_CLIENT_SECRET is available. AZURE_TOKEN_CREDENTIALS picks one credential.",
      });
    }
    if (status !== undefined) {
      return new VaultError("vault_error", `Key Vault ${this.keyVaultUri} answered ${status} for "${name}": ${firstLine(error)}`, {
        cause: error,
        hint: "Retry later; if it persists, check the vault in the Azure portal.",
      });
    }
    return new VaultError("vault_unreachable", `Key Vault ${this.keyVaultUri} could not be reached: ${firstLine(error)}`, {
      cause: error,
      hint: "Check the vault URI, your network and proxy, and the vault firewall (the stack's allowedIpRanges).",
    });
  }
}

function toMetadata(p: SecretProperties): SecretMetadata {
  return {
    name: p.name,
    enabled: p.enabled !== false,
    expiresOn: p.expiresOn,
    updatedOn: p.updatedOn,
    createdOn: p.createdOn,
    contentType: p.contentType,
    tags: p.tags ?? {},
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** Key Vault answers 403 with inner code SecretDisabled for a disabled version: no role or wait fixes that. */
function isDisabled(error: unknown): boolean {
  const body = (error as { details?: { error?: { innerError?: { code?: string }; innererror?: { code?: string } } } } | null)?.details?.error;
  return statusOf(error) === 403 && (body?.innerError?.code ?? body?.innererror?.code) === "SecretDisabled";
}

function isCredentialError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "CredentialUnavailableError" || name === "AuthenticationError" || name === "AggregateAuthenticationError";
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/\r?\n/)[0]!.slice(0, 300);
}
