/**
 * The secrets REST operations: which method and path is which operation, what
 * each one does to the store, and the response bodies (SecretBundle,
 * SecretItem, DeletedSecretBundle, paged lists) as the real service writes them.
 */
import type http from "node:http";
import { readBody } from "../http";
import { badParameter, objectIsDeletedButRecoverable, secretDisabled } from "./errors";
import type { SecretStore } from "./secret-store";
import type { DeletedEntry, Operation, StoredVersion } from "./types";

const PAGE_SIZE = 25;

/** The operation a method and path ask for, or undefined for an unsupported one. */
export function route(method: string, pathname: string): Operation | undefined {
  const parts = pathname.split("/").slice(1);
  if (parts[0] === "deletedsecrets") {
    const deletedName = parts[1] ? decodeURIComponent(parts[1]) : undefined;
    if (method === "GET" && !deletedName && parts.length <= 2) return { kind: "listDeleted" };
    if (!deletedName) return undefined;
    if (method === "GET" && parts.length === 2) return { kind: "getDeleted", name: deletedName };
    if (method === "DELETE" && parts.length === 2) return { kind: "purge", name: deletedName };
    if (method === "POST" && parts.length === 3 && parts[2] === "recover") return { kind: "recover", name: deletedName };
    return undefined;
  }
  if (parts[0] !== "secrets") return undefined;
  const name = parts[1] ? decodeURIComponent(parts[1]) : undefined;
  const rest = parts.slice(2);
  if (method === "GET" && !name && parts.length <= 2) return { kind: "list" };
  if (!name) return undefined;
  if (method === "PUT" && rest.length === 0) return { kind: "set", name };
  if (method === "GET" && (rest.length === 0 || (rest.length === 1 && rest[0] === ""))) return { kind: "get", name };
  if (method === "GET" && rest.length === 1 && rest[0] === "versions") return { kind: "versions", name };
  if (method === "GET" && rest.length === 1) return { kind: "get", name, version: rest[0] };
  if (method === "PATCH" && rest.length === 1 && rest[0]) return { kind: "update", name, version: rest[0] };
  if (method === "DELETE" && rest.length === 0) return { kind: "delete", name };
  return undefined;
}

/** Runs authorized operations against the store and writes their bodies. */
export class SecretRoutes {
  /** `vaultUrl` gives the vault URI with trailing slash (ids and next links start with it). */
  constructor(
    private readonly store: SecretStore,
    private readonly vaultUrl: () => string,
  ) {}

  /** The operation's response body, or undefined for a 204 (purge). */
  async execute(req: http.IncomingMessage, op: Operation, url: URL, apiVersion: string): Promise<Record<string, unknown> | undefined> {
    const key = op.name?.toLowerCase();
    if ((op.kind === "set" || op.kind === "update") && key && this.store.isDeleted(key)) {
      throw objectIsDeletedButRecoverable(op.name as string);
    }
    switch (op.kind) {
      case "delete": {
        this.store.find(op.name as string);
        const entry = this.store.softDelete(op.name as string, Math.floor(Date.now() / 1000));
        return this.deletedBundle(op.name as string, entry);
      }
      case "getDeleted":
        return this.deletedBundle(op.name as string, this.store.findDeleted(op.name as string));
      case "listDeleted":
        return this.page(
          this.store.deletedEntries().map(([name, entry]) => {
            const { value: _value, ...item } = this.deletedBundle(name, entry);
            return item;
          }),
          url,
          apiVersion,
        );
      case "recover": {
        const entry = this.store.recover(op.name as string);
        const { value: _value, ...bundle } = this.bundle(op.name as string, entry.versions[entry.versions.length - 1]!, false);
        return bundle;
      }
      case "purge":
        this.store.purge(op.name as string);
        return undefined;
      case "set":
        return this.bundle(op.name as string, this.store.put(op.name as string, await this.jsonBody(req)), true);
      case "get": {
        const version = this.store.find(op.name as string, op.version);
        if (!version.enabled) throw secretDisabled();
        return this.bundle(op.name as string, version, true);
      }
      case "update":
        return this.bundle(op.name as string, this.store.patch(op.name as string, op.version as string, await this.jsonBody(req)), false);
      case "list": {
        const items = this.store.liveEntries().map(([name, list]) => this.item(name, list[list.length - 1], false));
        return this.page(items, url, apiVersion);
      }
      case "versions": {
        const list = this.store.storedVersions(op.name as string);
        if (!list) return { value: [], nextLink: null };
        return this.page(list.map((v) => this.item(op.name as string, v, true)), url, apiVersion);
      }
    }
  }

  private async jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const raw = (await readBody(req)).toString("utf8");
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw badParameter("The request body is not a valid JSON object.");
  }

  /** DeletedSecretBundle: the latest version's bundle without its value, plus recoveryId and the dates. */
  private deletedBundle(name: string, entry: DeletedEntry): Record<string, unknown> {
    const latest = entry.versions[entry.versions.length - 1]!;
    return {
      recoveryId: `${this.vaultUrl()}deletedsecrets/${this.store.canonicalName(name)}`,
      deletedDate: entry.deletedDate,
      scheduledPurgeDate: entry.scheduledPurgeDate,
      ...this.bundle(name, latest, false),
    };
  }

  private attributesJson(v: StoredVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    };
  }

  private bundle(name: string, v: StoredVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      id: `${this.vaultUrl()}secrets/${this.store.canonicalName(name)}/${v.version}`,
      attributes: this.attributesJson(v),
      ...(Object.keys(v.tags).length ? { tags: { ...v.tags } } : {}),
    };
  }

  private item(name: string, v: StoredVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.vaultUrl()}secrets/${this.store.canonicalName(name)}${withVersion ? `/${v.version}` : ""}`,
      attributes: this.attributesJson(v),
      ...(Object.keys(v.tags).length ? { tags: { ...v.tags } } : {}),
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    };
  }

  private page(items: Record<string, unknown>[], url: URL, apiVersion: string): Record<string, unknown> {
    const maxRaw = url.searchParams.get("maxresults");
    const max = maxRaw === null ? PAGE_SIZE : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_SIZE) {
      throw badParameter(`The value of 'maxresults' must be an integer between 1 and ${PAGE_SIZE}.`);
    }
    const skipRaw = url.searchParams.get("$skiptoken");
    let offset = 0;
    if (skipRaw !== null) {
      offset = Number(Buffer.from(skipRaw, "base64url").toString("utf8"));
      if (!Number.isInteger(offset) || offset < 0) throw badParameter("The $skiptoken is not valid.");
    }
    const slice = items.slice(offset, offset + max);
    const next = offset + max < items.length ? offset + max : undefined;
    let nextLink: string | null = null;
    if (next !== undefined) {
      const link = new URL(`${this.vaultUrl().replace(/\/$/, "")}${url.pathname}`);
      link.searchParams.set("api-version", apiVersion);
      link.searchParams.set("$skiptoken", Buffer.from(String(next)).toString("base64url"));
      link.searchParams.set("maxresults", String(max));
      nextLink = link.toString();
    }
    return { value: slice, nextLink };
  }
}
