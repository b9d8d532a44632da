/**
 * The emulator's certificate serials are valid DER: positive and without a
 * leading zero byte, which OpenSSL refuses as illegal padding.
 */
import { describe, expect, it } from "vitest";
import { serialNumber } from "../../../emulator/certificates";

describe("serialNumber", () => {
  it("is 16 bytes whose first byte is 0x01–0x7f, in every one of 5,000 draws", () => {
    const firstBytes = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const serial = serialNumber();
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      const first = parseInt(serial.slice(0, 2), 16);
      firstBytes.add(first);
      expect(first, serial).toBeGreaterThanOrEqual(0x01);
      expect(first, serial).toBeLessThanOrEqual(0x7f);
    }
    // Random, not a constant: most of the 127 possible first bytes appear.
    expect(firstBytes.size).toBeGreaterThan(100);
  });
});
