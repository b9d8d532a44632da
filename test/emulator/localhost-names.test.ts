/**
 * The emulator's `*.localhost` resolver: what it asks the system resolver for,
 * and that it is taken back. (The tests' loopback guard resolves these names
 * too, so this checks the emulator's own resolver directly.)
 */
import dns from "node:dns";
import { install, loopbackName, wrapLookup } from "partner-center-sam/emulator/localhost-names.cjs";
import { describe, expect, it } from "vitest";

describe("the *.localhost resolver", () => {
  it("looks up any *.localhost name as localhost, and every other name as it is", () => {
    expect(loopbackName("pcsam-emulator.vault.localhost")).toBe("localhost");
    expect(loopbackName("A.LOCALHOST.")).toBe("localhost");
    expect(loopbackName("localhost")).toBe("localhost");
    expect(loopbackName("vault.azure.net")).toBe("vault.azure.net");
    expect(loopbackName("localhost.example.com")).toBe("localhost.example.com");
    const asked: string[] = [];
    const lookup = wrapLookup((hostname: string, _options: unknown, callback: (err: null, address: string, family: number) => void) => {
      asked.push(hostname);
      callback(null, "127.0.0.1", 4);
    });
    lookup("kv.vault.localhost", {}, () => undefined);
    lookup("example.com", {}, () => undefined);
    expect(asked).toEqual(["localhost", "example.com"]);
  });

  it("patches dns.lookup while installed, once however many emulators run, and restores it after the last", () => {
    const before = dns.lookup;
    const first = install();
    const patched = dns.lookup;
    expect(patched).not.toBe(before);
    const second = install();
    expect(dns.lookup).toBe(patched);
    first();
    first();
    expect(dns.lookup).toBe(patched);
    second();
    expect(dns.lookup).toBe(before);
  });
});
