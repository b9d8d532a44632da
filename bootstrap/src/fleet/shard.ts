/**
 * `--shard I/N`: splitting an estate over machines with no coordinator. A
 * customer belongs to shard `1 + (h mod N)`, where `h` is the first four bytes
 * (big-endian, unsigned) of the SHA-256 of its lowercased tenant id. The hash
 * depends on nothing but the tenant id, so every machine of a CI matrix (or a
 * Kubernetes Indexed Job, `JOB_COMPLETION_INDEX + 1`) computes the same split,
 * and shards 1..N together hold every customer exactly once.
 */
import { nodeCrypto } from "../core/lazy-builtins";

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The most shards `--shard` accepts. */
export const MAX_SHARDS = 10_000;

/** The shard (1..count) a tenant id falls in. */
export function shardOf(tenantId: string, count: number): number {
  const digest = nodeCrypto().createHash("sha256").update(tenantId.trim().toLowerCase(), "utf8").digest();
  return 1 + (digest.readUInt32BE(0) % count);
}

/** True when `tenantId` is in `shard` (always true without a shard). */
export function inShard(tenantId: string, shard: Shard | undefined): boolean {
  return shard === undefined || shardOf(tenantId, shard.count) === shard.index;
}

/** Parses `I/N` (1 ≤ I ≤ N ≤ {@link MAX_SHARDS}); a string says what is wrong. */
export function parseShard(text: string): Shard | string {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!match) return `--shard must be I/N, e.g. 2/4 (shard 2 of 4), got ${JSON.stringify(text.slice(0, 40))}`;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) return `--shard ${text.trim()}: N must be between 1 and ${MAX_SHARDS}`;
  if (index < 1 || index > count) return `--shard ${text.trim()}: I must be between 1 and N (${count}); shards are numbered from 1`;
  return { index, count };
}
