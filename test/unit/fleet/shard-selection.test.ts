/**
 * `--shard I/N` and customer selection: every customer lands in exactly one
 * shard, the hash is the documented one, and bad values are refused with a
 * message that says what is expected.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { inShard, parseShard, shardOf } from "../../../bootstrap/src/fleet/shard";
import { customerRefProblem, readCustomerFile, selectCustomers, type FleetCustomer } from "../../../bootstrap/src/fleet/selection";

const customers: FleetCustomer[] = Array.from({ length: 500 }, (_, i) => ({ tenantId: randomUUID(), displayName: `Customer ${i}`, domain: `c${i}.onmicrosoft.com`, inPartnerCenter: true }));

describe("shards", () => {
  it.each([1, 2, 3, 7, 16])("shards 1..%i together cover every customer exactly once", (count) => {
    const seen = new Map<string, number>();
    for (let index = 1; index <= count; index++) {
      for (const c of selectCustomers(customers, { shard: { index, count } }).selected) seen.set(c.tenantId, (seen.get(c.tenantId) ?? 0) + 1);
    }
    expect(seen.size).toBe(customers.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("uses the first four bytes of SHA-256 of the lowercased tenant id, mod N, plus one", () => {
    const id = "0A1B2C3D-0000-4000-8000-000000000001";
    const expected = 1 + (createHash("sha256").update(id.toLowerCase()).digest().readUInt32BE(0) % 5);
    expect(shardOf(id, 5)).toBe(expected);
    expect(shardOf(id.toLowerCase(), 5)).toBe(expected);
    expect(inShard(id, { index: expected, count: 5 })).toBe(true);
  });

  it("spreads 500 customers over 4 shards without leaving one nearly empty", () => {
    const sizes = [1, 2, 3, 4].map((index) => selectCustomers(customers, { shard: { index, count: 4 } }).selected.length);
    for (const size of sizes) expect(size).toBeGreaterThan(80);
  });

  it.each([
    ["0/4", "numbered from 1"],
    ["5/4", "between 1 and N"],
    ["1/0", "N must be between 1"],
    ["a/b", "must be I/N"],
    ["2", "must be I/N"],
    ["", "must be I/N"],
  ])("refuses --shard %j, saying why", (value, message) => {
    const parsed = parseShard(value);
    expect(typeof parsed).toBe("string");
    expect(parsed).toContain(message);
  });

  it("accepts 2/4", () => {
    expect(parseShard(" 2/4 ")).toEqual({ index: 2, count: 4 });
  });
});

describe("selection", () => {
  it("matches tenant ids and domains without regard to case, and excludes after including", () => {
    const [a, b, c] = customers;
    const { selected, unknown } = selectCustomers(customers, { include: [a!.tenantId.toUpperCase(), b!.domain!.toUpperCase(), c!.tenantId], exclude: [c!.domain!] });
    expect(selected.map((x) => x.tenantId)).toEqual([a!.tenantId, b!.tenantId]);
    expect(unknown).toEqual([]);
  });

  it("names the included customers the estate does not have", () => {
    const { unknown } = selectCustomers(customers, { include: ["nobody.onmicrosoft.com"] });
    expect(unknown).toEqual(["nobody.onmicrosoft.com"]);
  });

  it("refuses a --customer that is neither a tenant id nor a domain", () => {
    expect(customerRefProblem("--customer", "not a tenant")).toContain("--customer must be a customer tenant id (a GUID) or a domain");
    expect(customerRefProblem("--customer", "contoso.onmicrosoft.com")).toBeUndefined();
  });

  it("reads --from-file with comments and blank lines, and names the bad lines with their numbers", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pcsam-from-file-"));
    const good = path.join(dir, "good.txt");
    writeFileSync(good, `# customers\n${customers[0]!.tenantId}\n\n  contoso.onmicrosoft.com  # a domain\r\n`);
    expect(readCustomerFile(good)).toEqual({ values: [customers[0]!.tenantId, "contoso.onmicrosoft.com"], problems: [] });
    const bad = path.join(dir, "bad.txt");
    writeFileSync(bad, "contoso.onmicrosoft.com\n<html>\n");
    expect(readCustomerFile(bad).problems).toEqual([`--from-file ${bad}, line 2: expected a tenant id or domain, got "<html>"`]);
  });

  it("says a --from-file that does not exist, is binary or names nobody cannot be used", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pcsam-from-file-"));
    expect(readCustomerFile(path.join(dir, "missing.txt")).problems[0]).toContain("cannot read the file (it does not exist)");
    const binary = path.join(dir, "binary");
    writeFileSync(binary, Buffer.from([0, 1, 2, 3]));
    expect(readCustomerFile(binary).problems[0]).toContain("the file is binary");
    const empty = path.join(dir, "empty.txt");
    writeFileSync(empty, "# nobody yet\n");
    expect(readCustomerFile(empty).problems[0]).toContain("names no customer");
  });
});
