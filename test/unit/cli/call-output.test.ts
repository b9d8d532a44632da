/**
 * What `call` prints on stdout: pretty JSON on a terminal (with text that could
 * reorder the screen removed), compact and byte-exact JSON otherwise.
 */
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { callRun } from "../../../bootstrap/src/cli/call";
import { silentProgress } from "../../../bootstrap/src/core/progress";
import { seedRefreshToken, writeOutputsFile } from "../../support/fixtures";
import { startStandIns, type StandIns } from "../../support/stand-ins";

let s: StandIns;

beforeEach(async () => {
  s = await startStandIns({ organization: { companyName: "Evil\u202eCorp" } });
  seedRefreshToken(s);
});

afterEach(async () => {
  await s.stop();
});

async function printed(tty: boolean): Promise<string> {
  const writes: string[] = [];
  const descriptor = Object.getOwnPropertyDescriptor(process.stdout, "isTTY");
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  Object.defineProperty(process.stdout, "isTTY", { value: tty, configurable: true });
  try {
    const code = await callRun({
      source: { outputsFile: writeOutputsFile(s) },
      target: "/v1/profiles/organization",
      method: "GET",
      accessWaitMs: 0,
      timeoutMs: 30_000,
      credential: s.entra.credential(),
      progress: silentProgress,
    });
    expect(code).toBe(0);
  } finally {
    spy.mockRestore();
    if (descriptor) Object.defineProperty(process.stdout, "isTTY", descriptor);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
  return writes.join("");
}

it("pretty-prints the body on a terminal, without characters that reorder the screen", async () => {
  const out = await printed(true);
  expect(out).toBe(`${JSON.stringify({ ...s.partnerCenter.organization, companyName: "EvilCorp" }, null, 2)}\n`);
});

it("prints the body compact and unchanged when stdout is not a terminal", async () => {
  const out = await printed(false);
  expect(out).toBe(`${JSON.stringify(s.partnerCenter.organization)}\n`);
  expect(out).toContain("Evil\u202eCorp");
});
