/**
 * The Key Vault stand-in's soft delete, firewall and fault answers, checked
 * through the real @azure/keyvault-secrets client (and the raw bodies where
 * the product depends on them), and VaultStore's handling of them.
 */
import { inspect } from "node:util";
import { SecretClient } from "@azure/keyvault-secrets";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VaultStore } from "../bootstrap/src/vault/vault-store";
import { seedRefreshToken } from "./support/fixtures";
import { startStandIns, type StandIns } from "./support/stand-ins";

let s: StandIns;
let client: SecretClient;

beforeEach(async () => {
  s = await startStandIns();
  client = new SecretClient(s.vault.url, s.entra.credential(), { retryOptions: { maxRetries: 0 } });
});

afterEach(async () => {
  await s.stop();
});

const tokenName = () => s.outputs.secretNames.refreshToken;

function store(options: { accessWaitMs?: number } = {}): VaultStore {
  return new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential(), ...options });
}

describe("the Key Vault stand-in's soft delete", () => {
  it("moves a deleted secret to the deleted state with recoveryId, deletedDate and a purge date 90 days later", async () => {
    seedRefreshToken(s);

    const poller = await client.beginDeleteSecret(tokenName(), { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();

    expect(deleted.recoveryId).toBe(`${s.vault.url}deletedsecrets/${tokenName()}`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(90 * 24 * 3600 * 1000);
    expect(deleted.value).toBeUndefined();
    expect(s.vault.latest(tokenName())).toBeUndefined();
    expect(s.vault.deletedSecret(tokenName())).toMatchObject({ versionCount: 1 });
  });

  it("answers reads of a deleted name with 404 SecretNotFound and writes with 409 ObjectIsDeletedButRecoverable", async () => {
    seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());

    const read = await client.getSecret(tokenName()).catch((e: unknown) => e);
    const write = await client.setSecret(tokenName(), "new value").catch((e: unknown) => e);

    expect(read).toMatchObject({ statusCode: 404, code: "SecretNotFound" });
    expect(write).toMatchObject({ statusCode: 409 });
    expect(JSON.stringify((write as { details?: unknown }).details)).toContain("ObjectIsDeletedButRecoverable");
    expect(s.vault.writes).toEqual([{ method: "PUT", name: tokenName(), status: 409 }]);
  });

  it("recovers every version, after which reads and writes work again", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());

    await (await client.beginRecoverDeletedSecret(tokenName(), { intervalInMs: 10 })).pollUntilDone();

    expect((await client.getSecret(tokenName())).value).toBe(seeded.token);
    await client.setSecret(tokenName(), "next");
    expect(s.vault.versions(tokenName())).toHaveLength(2);
    expect(s.vault.deletedSecret(tokenName())).toBeUndefined();
  });

  it("purges a deleted secret for good, after which the name can be used again", async () => {
    seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());

    await client.purgeDeletedSecret(tokenName());

    expect(s.vault.deletedSecret(tokenName())).toBeUndefined();
    expect(await client.getDeletedSecret(tokenName()).catch((e: unknown) => e)).toMatchObject({ statusCode: 404 });
    await client.setSecret(tokenName(), "fresh");
    expect(s.vault.versions(tokenName())).toHaveLength(1);
  });

  it("refuses recovery to a Secrets User (ForbiddenByRbac), who may still see the deleted secret", async () => {
    seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());
    s.vault.grant(s.entra.managedIdentityObjectId, "user");

    expect((await client.getDeletedSecret(tokenName())).name).toBe(tokenName());
    const refused = await client.beginRecoverDeletedSecret(tokenName()).catch((e: unknown) => e);

    expect(refused).toMatchObject({ statusCode: 403 });
    expect(s.vault.deletedSecret(tokenName())).toBeDefined();
  });
});

describe("VaultStore against those answers", () => {
  it("keeps the service's body when a listing is refused, so a firewall 403 is not mistaken for a role still propagating", async () => {
    s.vault.setFirewall("198.51.100.9");

    const error = await store({ accessWaitMs: 60_000 }).readMetadata().catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "vault_firewall" });
    expect((error as Error).message).toContain("client address 198.51.100.9");
    expect((error as { cause?: unknown }).cause).toMatchObject({ name: "VaultServiceError", statusCode: 403, code: "Forbidden" });
    expect(s.vault.requests.filter((r) => r.authenticated)).toHaveLength(1);
  });

  it("prepareRefreshTokenSecret recovers a deleted refresh-token secret and reports it", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.deleteSecret(tokenName());

    await expect(store().prepareRefreshTokenSecret()).resolves.toBe("recovered");

    expect(s.vault.latest(tokenName())?.value).toBe(seeded.token);
  });

  it("prepareRefreshTokenSecret says present or absent without changing anything", async () => {
    await expect(store().prepareRefreshTokenSecret()).resolves.toBe("absent");
    seedRefreshToken(s);
    await expect(store().prepareRefreshTokenSecret()).resolves.toBe("present");
    expect(s.vault.writes).toEqual([]);
  });

  it("prepareRefreshTokenSecret throws refresh_token_deleted (exit 3) with the recover and purge commands when recovery is refused", async () => {
    seedRefreshToken(s);
    const deleted = s.vault.deleteSecret(tokenName());
    s.vault.grant(s.entra.managedIdentityObjectId, "user");

    const error = await store().prepareRefreshTokenSecret().catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "refresh_token_deleted", exitCode: 3 });
    expect((error as Error).message).toContain(`will be purged on ${deleted.scheduledPurgeDate.toISOString()}`);
    expect((error as Error).message).toContain("the sign-in was not started");
    expect((error as Error).message).toContain("denied recover access");
    expect((error as { hint: string }).hint).toContain(`az keyvault secret recover --vault-name ${s.vault.name} --name ${tokenName()}`);
    expect((error as { hint: string }).hint).toContain(`az keyvault secret purge --vault-name ${s.vault.name} --name ${tokenName()}`);
  });
});

describe("VaultStore when an answer is cut off mid-body", () => {
  it("rejects without the secret anywhere in the error: message, hint, JSON, or the kept cause", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(5, "truncate", { method: "GET", name: tokenName() });

    const error = (await new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential(), transientBudgetMs: 0 })
      .readRefreshToken()
      .catch((e: unknown) => e)) as Error & { code?: string; hint?: string };

    expect(error).toMatchObject({ code: "vault_error", exitCode: 1 });
    expect(error.message).toContain("could not be read (cut off, or not valid JSON)");
    const everything = [error.message, error.hint, JSON.stringify(error), inspect(error, { depth: 20 }), String(error.stack)].join("\n");
    expect(everything).not.toContain(seeded.token.slice(0, 24));
    expect(everything).not.toContain("occurred while parsing the response body");
    expect(error.cause).toMatchObject({ name: "RestError", code: "PARSE_ERROR", statusCode: 200 });
  });

  it("reads the secret once the answer arrives whole (a cut-off answer is retried as transient)", async () => {
    const seeded = seedRefreshToken(s);
    s.vault.failNext(1, "truncate", { method: "GET", name: tokenName() });

    const read = await new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential() }).readRefreshToken();

    expect(read.value).toBe(seeded.token);
    expect(s.vault.requests.filter((r) => r.method === "GET" && r.name === tokenName() && r.authenticated)).toHaveLength(2);
  });
});

describe("VaultStore when the vault accepts the connection and never answers", () => {
  it("spends its transient budget on the attempt's own wait too: no second attempt when the first used up the budget", async () => {
    seedRefreshToken(s);
    s.vault.failNext(50, "hang", { method: "GET", name: tokenName() });
    const started = Date.now();

    const error = (await new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential(), requestTimeoutMs: 400, transientBudgetMs: 2200 })
      .readRefreshToken()
      .catch((e: unknown) => e)) as Error & { code?: string };

    // Counting only the sleeps, a 2 s wait would still have fitted the 2.2 s budget, and a second 0.4 s attempt followed.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(s.vault.requests.filter((r) => r.method === "GET" && r.name === tokenName() && r.authenticated)).toHaveLength(1);
    expect(error).toMatchObject({ code: "vault_timeout" });
    expect(error.message).toContain("no answer within 1 s.");
  });

  it("names every attempt and the time they took when it gave up after retrying", async () => {
    seedRefreshToken(s);
    s.vault.failNext(50, "hang", { method: "GET", name: tokenName() });

    const error = (await new VaultStore({ keyVaultUri: s.vault.url, secretNames: s.outputs.secretNames, credential: s.entra.credential(), requestTimeoutMs: 400, transientBudgetMs: 3000 })
      .readRefreshToken()
      .catch((e: unknown) => e)) as Error;

    expect(error.message).toMatch(/no answer within 1 s on the last of 2 attempts, 2\.\d s in all\.$/);
  });
});
