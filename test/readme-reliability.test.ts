/**
 * The reliability totals in docs/reliability.md are the ones `npm run test:reliability`
 * wrote from a run of the current case tables: a case added or removed
 * without running the suite again makes this fail.
 */
import { describe, expect, it } from "vitest";
import { badInputCases } from "./reliability/bad-inputs.cases";
import { faultCases } from "./reliability/faults.cases";
import { README_END, README_START, totalsLine } from "./reliability/report";
import { docs } from "./support/fixtures";

describe("the Reliability page", () => {
  it("states the totals of the current case tables, all passing, between its markers", () => {
    const text = docs();
    const start = text.indexOf(README_START);
    const end = text.indexOf(README_END);
    expect(start, "docs/reliability.md has the reliability-totals markers").toBeGreaterThan(0);
    const stated = text.slice(start + README_START.length, end).trim();
    const counts = {
      "bad input": { total: badInputCases.length, passed: badInputCases.length },
      fault: { total: faultCases.length, passed: faultCases.length },
    };
    expect(stated).toBe(`${totalsLine(counts)}.`);
  });

  it("has at least 100 bad inputs and 50 faults, as the hardening issue asks", () => {
    expect(badInputCases.length).toBeGreaterThanOrEqual(100);
    expect(faultCases.length).toBeGreaterThanOrEqual(50);
  });
});
