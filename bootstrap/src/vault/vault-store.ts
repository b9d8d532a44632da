import type { SecretClient, SecretProperties } from "@azure/keyvault-secrets";
import { keyVaultSecrets } from "./azure-sdk";
import { azSecretCommand, explainVaultError, type Access } from "./vault-explain";
import { defaultCredential, withTokenTimeout } from "./azure-credential";
import { classifyVaultError, describeTransient, firstLine, isDisabled, isNotFound, serviceErrorPolicy } from "./vault-errors";
import type { AppCredentials, DeletedSecretInfo, RefreshTokenSecretState, RefreshTokenTags, SecretMetadata, StoredRefreshToken, VaultReadOptions, VaultStoreOptions } from "./vault-types";
import { parseClientCertificate } from "../core/client-certificate";
import { REFRESH_TOKEN_CONTENT_TYPE, REFRESH_TOKEN_LIFETIME_DAYS, type SecretNames } from "../core/contract";
import { catalogError } from "../core/error-catalogue";
import { assertDistinctSecretNames } from "../core/validate";
import { SamError, VaultError } from "../core/errors";
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TRANSIENT_BUDGET_MS, Deadline, NO_SDK_RETRIES, withRetries } from "../core/retry";

export { VaultServiceError, classifyVaultError } from "./vault-errors";
export { assertDistinctSecretNames } from "../core/validate";
export type * from "./vault-types";

const DAY_MS = 24 * 60 * 60 * 1000;


/**
 * The vault side of the contract: reads the app's credentials and the refresh
 * token, writes new refresh-token versions, lists secret metadata, and finds
 * and recovers soft-deleted secrets. Every call goes through retry.ts.
 */
export class VaultStore {
  readonly keyVaultUri: string;
  readonly secretNames: SecretNames;
  /** The vault's name: the first label of its host. */
  readonly vaultName: string;
  private readonly host: string;
  private readonly options: VaultStoreOptions;
  /** Created on the first vault call, so building a store loads no Azure SDK. */
  private secretClient?: SecretClient;
  private readonly accessWaitMs: number;
  private readonly transientBudgetMs: number;
  private readonly requestTimeoutMs: number;
  private readonly deadline: Deadline;
  private readonly onWait?: (message: string, delayMs: number) => void;

  constructor(options: VaultStoreOptions) {
    assertDistinctSecretNames(options.secretNames, "VaultStore");
    this.keyVaultUri = options.keyVaultUri;
    this.secretNames = options.secretNames;
    this.host = new URL(options.keyVaultUri).host;
    this.vaultName = this.host.split(".")[0]!;
    this.accessWaitMs = options.accessWaitMs ?? 0;
    this.transientBudgetMs = options.transientBudgetMs ?? DEFAULT_TRANSIENT_BUDGET_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.deadline = options.deadline ?? Deadline.none();
    this.onWait = options.onWait;
    this.options = options;
  }

  private get client(): SecretClient {
    const options = this.options;
    this.secretClient ??= new (keyVaultSecrets().SecretClient)(options.keyVaultUri, withTokenTimeout(options.credential ?? defaultCredential(), this.requestTimeoutMs), {
      ...options.clientOptions,
      retryOptions: NO_SDK_RETRIES,
      additionalPolicies: [...(options.clientOptions?.additionalPolicies ?? []), { policy: serviceErrorPolicy, position: "perCall" }],
    });
    return this.secretClient;
  }

  /**
   * Reads the client id, tenant id and the app credential the stack stored, in
   * parallel: the certificate and the client secret as `secretNames` names them.
   * With both named, a missing one is fine as long as the other exists.
   */
  async readAppCredentials(options: VaultReadOptions = {}): Promise<AppCredentials> {
    const { clientSecret: secretName, clientCertificate: certificateName } = this.secretNames;
    const both = secretName !== undefined && certificateName !== undefined;
    // With both named, a missing one is only looked for among the deleted secrets when the other is missing too.
    const credential = (name: string | undefined): Promise<string | undefined> =>
      name === undefined ? Promise.resolve(undefined) : both ? this.readOptional(name, options) : this.readRequired(name, options);
    const [clientId, tenantId, clientSecret, certificatePem] = await Promise.all([
      this.readRequired(this.secretNames.clientId, options),
      this.readRequired(this.secretNames.tenantId, options),
      credential(secretName),
      credential(certificateName),
    ]);
    const ids = { clientId: clientId.trim(), tenantId: tenantId.trim() };
    if (certificatePem !== undefined) return { ...ids, clientCertificate: parseClientCertificate(certificatePem, certificateName!) };
    if (clientSecret !== undefined) return { ...ids, clientSecret };
    if (both) {
      const deleted = (await Promise.all([this.readDeleted(certificateName, options), this.readDeleted(secretName, options)])).find((d) => d !== undefined);
      if (deleted) throw this.appSecretDeleted(deleted);
    }
    throw catalogError("secret_missing", {
      message: `No app credential was found in ${this.keyVaultUri}: the stack outputs name ${both ? `"${certificateName}" and "${secretName}", both missing` : "neither secretNames.clientCertificate nor secretNames.clientSecret"}.`,
      hint: "Run `pulumi up` for this stack (and pass its current outputs): it writes the app's client id, tenant id and credential to the vault.",
    });
  }

  /** Reads the latest refresh token; a missing one means the bootstrap has not run. */
  async readRefreshToken(options: VaultReadOptions = {}): Promise<StoredRefreshToken> {
    const name = this.secretNames.refreshToken;
    let secret;
    try {
      secret = await this.call("read", name, "reading", (abortSignal) => this.client.getSecret(name, { abortSignal }), options);
    } catch (error) {
      if (isNotFound(error)) {
        const deleted = await this.readDeleted(name, options);
        if (deleted) throw this.refreshTokenDeleted(deleted, "refresh");
        throw catalogError("consent_required", {
          message: `No refresh token is stored in ${this.keyVaultUri} (secret "${name}").`,
          hint: "Run `partner-center-sam bootstrap` to sign in once with MFA and store the first refresh token.",
        });
      }
      if (isDisabled(error)) {
        throw catalogError("consent_required", {
          message: `The latest version of the refresh-token secret "${name}" is disabled.`,
          hint: "Run `partner-center-sam bootstrap` to store a new refresh token (or enable that version again in the vault).",
        });
      }
      throw error;
    }
    // Values pasted through a portal or a shell often carry a trailing newline; no token or id has surrounding whitespace.
    const value = secret.value?.trim();
    if (!value || secret.properties.enabled === false) {
      throw catalogError("consent_required", { message: `The refresh-token secret "${name}" is empty or disabled.`, hint: "Run `partner-center-sam bootstrap` to store a new refresh token." });
    }
    return {
      value,
      version: secret.properties.version,
      tags: (secret.properties.tags ?? {}) as Partial<RefreshTokenTags>,
      updatedOn: secret.properties.updatedOn,
      expiresOn: secret.properties.expiresOn,
    };
  }

  /**
   * Before the interactive sign-in: makes sure the refresh token can be written.
   * A soft-deleted refresh-token secret would refuse the write (409
   * ObjectIsDeletedButRecoverable) after the user signed in, so it is recovered
   * now; if the vault refuses that, this throws with the `az` commands that fix it.
   */
  async prepareRefreshTokenSecret(): Promise<RefreshTokenSecretState> {
    const name = this.secretNames.refreshToken;
    try {
      await this.call("read", name, "reading the metadata of", (abortSignal) => this.client.getSecret(name, { abortSignal }));
      return "present";
    } catch (error) {
      if (isDisabled(error)) return "present";
      if (!isNotFound(error)) throw error;
    }
    const deleted = await this.readDeleted(name);
    if (!deleted) return "absent";
    try {
      await this.call("recover", name, "recovering", async (abortSignal) => {
        const poller = await this.client.beginRecoverDeletedSecret(name, { abortSignal, intervalInMs: 1000 });
        return poller.pollUntilDone({ abortSignal });
      });
    } catch (error) {
      throw this.refreshTokenDeleted(deleted, "bootstrap", error);
    }
    return "recovered";
  }

  /**
   * Stores a refresh token as a new secret version, expiring after the token's
   * inactivity lifetime. Returns the new version and its expiry.
   */
  async writeRefreshToken(value: string, tags: RefreshTokenTags, now = new Date()): Promise<{ version?: string; expiresOn: Date }> {
    const name = this.secretNames.refreshToken;
    const expiresOn = new Date(now.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS);
    const stored = await this.call("write", name, "writing", (abortSignal) =>
      this.client.setSecret(name, value, { contentType: REFRESH_TOKEN_CONTENT_TYPE, expiresOn, tags: { ...tags }, abortSignal }),
    );
    return { version: stored.properties.version, expiresOn: stored.properties.expiresOn ?? expiresOn };
  }

  /** Lists the metadata (never the values) of the secrets named in the contract. */
  async readMetadata(): Promise<Map<string, SecretMetadata>> {
    const wanted = new Set(Object.values(this.secretNames).filter((name): name is string => name !== undefined));
    return this.call("read", "(list)", "listing the secrets of", async (abortSignal) => {
      const found = new Map<string, SecretMetadata>();
      for await (const properties of this.client.listPropertiesOfSecrets({ abortSignal })) {
        if (wanted.has(properties.name)) found.set(properties.name, toMetadata(properties));
      }
      return found;
    });
  }

  /**
   * The deleted (recoverable) state of a secret, or undefined when it is not
   * deleted — or when this identity may not see deleted secrets (403).
   */
  async readDeleted(name: string, options: VaultReadOptions = {}): Promise<DeletedSecretInfo | undefined> {
    try {
      // Not worth a propagation wait: a refusal here only means "cannot tell", not a failure.
      const deleted = await this.call("read", name, "looking for a deleted", (abortSignal) => this.client.getDeletedSecret(name, { abortSignal }), { ...options, propagation: false });
      return { name, deletedOn: deleted.properties.deletedOn, scheduledPurgeDate: deleted.properties.scheduledPurgeDate };
    } catch (error) {
      if (isNotFound(error) || (error instanceof VaultError && error.code === "vault_forbidden")) return undefined;
      throw error;
    }
  }

  /** The `az` commands that recover or purge a deleted secret of this vault. */
  azCommand(verb: "recover" | "purge", name: string): string {
    return azSecretCommand(this.vaultName, verb, name);
  }

  private refreshTokenDeleted(deleted: DeletedSecretInfo, phase: "bootstrap" | "refresh", cause?: unknown): SamError {
    const purge = deleted.scheduledPurgeDate ? ` and will be purged on ${deleted.scheduledPurgeDate.toISOString()}` : "";
    const why = cause === undefined ? "" : ` Recovering it failed: ${firstLine(cause)}`;
    const message =
      phase === "bootstrap"
        ? `The refresh-token secret "${deleted.name}" in ${this.keyVaultUri} is deleted (soft delete keeps it${purge}); the vault would refuse to store a new token under that name, so the sign-in was not started.${why}`
        : `The refresh-token secret "${deleted.name}" in ${this.keyVaultUri} is deleted (soft delete keeps it${purge}).`;
    const hint =
      phase === "bootstrap"
        ? `Recover it with \`${this.azCommand("recover", deleted.name)}\` (needs Key Vault Secrets Officer) and run \`partner-center-sam refresh\`, or purge it with \`${this.azCommand("purge", deleted.name)}\` (impossible while purge protection is on) and run \`partner-center-sam bootstrap\` again.`
        : `Recover it with \`${this.azCommand("recover", deleted.name)}\` and run \`partner-center-sam refresh\` again; or purge it with \`${this.azCommand("purge", deleted.name)}\` and run \`partner-center-sam bootstrap\`.`;
    return catalogError("refresh_token_deleted", { message, cause, hint });
  }

  private appSecretDeleted(deleted: DeletedSecretInfo): SamError {
    const purge = deleted.scheduledPurgeDate ? ` and will be purged on ${deleted.scheduledPurgeDate.toISOString()}` : "";
    return catalogError("app_secret_deleted", {
      message: `The secret "${deleted.name}" in ${this.keyVaultUri} is deleted (soft delete keeps it${purge}).`,
      hint: `Recover it with \`${this.azCommand("recover", deleted.name)}\`, then run \`pulumi up\` so the vault is current.`,
    });
  }

  /** Like {@link readRequired}, but a secret that does not exist is undefined (and not looked for among the deleted ones). */
  private async readOptional(name: string, options: VaultReadOptions): Promise<string | undefined> {
    try {
      return await this.readRequired(name, options, false);
    } catch (error) {
      if (error instanceof SamError && error.code === "secret_missing") return undefined;
      throw error;
    }
  }

  private async readRequired(name: string, options: VaultReadOptions, lookForDeleted = true): Promise<string> {
    try {
      const secret = await this.call("read", name, "reading", (abortSignal) => this.client.getSecret(name, { abortSignal }), options);
      const value = secret.value?.trim(); // surrounding whitespace is never part of an id or a secret
      if (!value) throw catalogError("secret_empty", { message: `The secret "${name}" in ${this.keyVaultUri} is empty.`, hint: "Run `pulumi up` to write it again." });
      return value;
    } catch (error) {
      if (isDisabled(error)) {
        throw catalogError("secret_disabled", {
          message: `The secret "${name}" in ${this.keyVaultUri} is disabled.`,
          hint: "Enable its latest version in the vault, or run `pulumi up` to write it again.",
        });
      }
      if (isNotFound(error)) {
        const deleted = lookForDeleted ? await this.readDeleted(name, options) : undefined;
        if (deleted) throw this.appSecretDeleted(deleted);
        throw catalogError("secret_missing", {
          message: `The secret "${name}" was not found in ${this.keyVaultUri}.`,
          hint: "Run `pulumi up` for this stack: it writes the app's client id, tenant id and credential (certificate or client secret) to the vault.",
        });
      }
      throw error;
    }
  }

  /** Runs a vault call with the retry policies of retry.ts, and maps its errors. */
  private async call<T>(
    access: Access,
    name: string,
    doing: string,
    operation: (abortSignal: AbortSignal) => Promise<T>,
    retry: { propagation?: boolean } & VaultReadOptions = {},
  ): Promise<T> {
    const what = `Key Vault ${this.host} (${doing} ${name === "(list)" ? "the vault" : `secret "${name}"`})`;
    const deadline = this.deadline.withSignal(retry.abortSignal);
    try {
      return await withRetries(operation, {
        what,
        deadline,
        requestTimeoutMs: this.requestTimeoutMs,
        policies: { transient: { budgetMs: this.transientBudgetMs }, propagation: { budgetMs: retry.propagation === false ? 0 : this.accessWaitMs } },
        classify: classifyVaultError,
        onRetry: ({ delayMs, concern, error }) =>
          this.onWait?.(
            concern === "propagation"
              ? `Key Vault denied access (403). New role assignments can take minutes to apply; retrying in ${Math.round(delayMs / 1000)} s.`
              : `Key Vault ${describeTransient(error)}; retrying in ${Math.round(delayMs / 1000)} s.`,
            delayMs,
          ),
      });
    } catch (error) {
      // The caller gave up: its reason, not a vault error.
      if (retry.abortSignal?.aborted) throw retry.abortSignal.reason;
      throw explainVaultError(error, { access, name, doing, keyVaultUri: this.keyVaultUri, host: this.host, vaultName: this.vaultName, refreshTokenName: this.secretNames.refreshToken });
    } finally {
      if (deadline !== this.deadline) deadline.dispose();
    }
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
