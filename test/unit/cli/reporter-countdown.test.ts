/** Long waits: a live countdown on a terminal, plain lines otherwise (Reporter.wait). */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Reporter, formatRemaining } from "../../../bootstrap/src/cli/reporter";

/** A stderr stand-in that records what was written, optionally claiming to be a terminal. */
function stream(isTTY: boolean): Writable & { text: () => string; isTTY: boolean } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { text: () => string; isTTY: boolean };
  out.isTTY = isTTY;
  out.text = () => chunks.join("");
  return out;
}

const ESC = String.fromCharCode(27);
const CLEAR = `\r${ESC}[2K`;

afterEach(() => {
  vi.useRealTimers();
});

describe("formatRemaining", () => {
  it("renders minutes and seconds, hours when needed, and never a negative time", () => {
    expect(formatRemaining(299_001)).toBe("5:00");
    expect(formatRemaining(59_000)).toBe("0:59");
    expect(formatRemaining(3_725_000)).toBe("1:02:05");
    expect(formatRemaining(-5_000)).toBe("0:00");
  });
});

describe("Reporter.wait", () => {
  it("on a terminal redraws one line each second with the time left, and erases it when the wait ends", () => {
    vi.useFakeTimers();
    const stderr = stream(true);
    const reporter = new Reporter({ json: false, stderr, stdout: stream(false) });

    const end = reporter.wait("Waiting for the sign-in to finish", 300_000);
    expect(stderr.text()).toBe(`${CLEAR}  Waiting for the sign-in to finish — 5:00 left`);
    vi.advanceTimersByTime(2_000);
    expect(stderr.text().endsWith(`${CLEAR}  Waiting for the sign-in to finish — 4:58 left`)).toBe(true);
    expect(stderr.text()).not.toContain("\n");

    end();
    expect(stderr.text().endsWith(CLEAR)).toBe(true);
    const length = stderr.text().length;
    vi.advanceTimersByTime(5_000);
    expect(stderr.text()).toHaveLength(length);
  });

  it("ends by itself when the time is up", () => {
    vi.useFakeTimers();
    const stderr = stream(true);
    const reporter = new Reporter({ json: false, stderr, stdout: stream(false) });
    reporter.wait("Key Vault denied access (403); retrying in 4 s.", 4_000);
    vi.advanceTimersByTime(4_000);
    const length = stderr.text().length;
    expect(stderr.text().endsWith(CLEAR)).toBe(true);
    vi.advanceTimersByTime(3_000);
    expect(stderr.text()).toHaveLength(length);
  });

  it("prints another line above the countdown and draws the countdown again below it", () => {
    vi.useFakeTimers();
    const stderr = stream(true);
    const reporter = new Reporter({ json: false, stderr, stdout: stream(false) });
    reporter.wait("Waiting", 60_000);
    reporter.warn("That address is not the redirect.");
    expect(stderr.text()).toBe(`${CLEAR}  Waiting — 1:00 left${CLEAR}! That address is not the redirect.\n${CLEAR}  Waiting — 1:00 left`);
  });

  it("prints the message once as a plain line, without carriage returns or escapes, when stderr is not a terminal", () => {
    vi.useFakeTimers();
    const stderr = stream(false);
    const reporter = new Reporter({ json: false, stderr, stdout: stream(false) });
    const end = reporter.wait("Waiting for the sign-in to finish (times out after 300 s)...", 300_000);
    vi.advanceTimersByTime(10_000);
    end();
    expect(stderr.text()).toBe("  Waiting for the sign-in to finish (times out after 300 s)...\n");
  });

  it("scrubs registered secrets from the countdown line, and shows nothing when progress is off", () => {
    vi.useFakeTimers();
    const stderr = stream(true);
    const reporter = new Reporter({ json: false, stderr, stdout: stream(false) });
    reporter.protect("super-secret-value");
    reporter.wait("about super-secret-value", 1_000)();
    expect(stderr.text()).not.toContain("super-secret-value");

    const quiet = stream(true);
    new Reporter({ json: false, stderr: quiet, stdout: stream(false), progress: false }).wait("Waiting", 1_000)();
    expect(quiet.text()).toBe("");
  });
});
