/** Reading the refresh token import-token is given on standard input: never a terminal, bounded, trimmed, one token. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { checkRefreshTokenShape, MAX_REFRESH_TOKEN_INPUT_BYTES, readRefreshTokenInput } from "../../../bootstrap/src/core/secret-input";
import { ExitCode } from "../../../bootstrap/src/core/errors";

const TOKEN = `1.A${"x".repeat(1200)}`;

function stream(text?: string, end = true): PassThrough {
  const s = new PassThrough();
  if (text !== undefined) s.write(text);
  if (end) s.end();
  return s;
}

describe("readRefreshTokenInput", () => {
  it("returns the one token without the newline Get-Content, echo or a BOM leave around it", async () => {
    await expect(readRefreshTokenInput(stream(`\uFEFF  ${TOKEN}\r\n`), { timeoutMs: 1000 })).resolves.toBe(TOKEN);
  });

  it("refuses a terminal before reading anything, with a hint to pipe the token", async () => {
    const tty = Object.assign(stream(TOKEN, false), { isTTY: true });
    const error = await readRefreshTokenInput(tty, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "import_token_terminal", exitCode: ExitCode.Usage });
    expect((error as { hint: string }).hint).toMatch(/Get-Content token\.txt \|/);
  });

  it("stops reading past the size bound and says so without quoting the input", async () => {
    const big = "A".repeat(MAX_REFRESH_TOKEN_INPUT_BYTES + 1);
    const error = (await readRefreshTokenInput(stream(big), { timeoutMs: 1000 }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "import_token_input" });
    expect(error.message).toContain(`more than ${MAX_REFRESH_TOKEN_INPUT_BYTES} bytes`);
    expect(error.message).not.toContain("AAAAAAAAAAAAAAAA");
    await expect(readRefreshTokenInput(stream(TOKEN), { timeoutMs: 1000, maxBytes: 100 })).rejects.toMatchObject({ code: "import_token_input" });
  });

  it("gives up on a pipe that never closes, within the timeout", async () => {
    const open = stream(TOKEN, false);
    const started = Date.now();
    await expect(readRefreshTokenInput(open, { timeoutMs: 200 })).rejects.toThrow(/not closed within/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

it("stops reading when its signal aborts (Ctrl-C), with the signal's reason", async () => {
  const controller = new AbortController();
  const reading = readRefreshTokenInput(stream(TOKEN, false), { timeoutMs: 60_000, signal: controller.signal });
  controller.abort(new Error("SIGINT"));
  await expect(reading).rejects.toThrow("SIGINT");
});

describe("checkRefreshTokenShape", () => {
  it.each([
    ["", /empty/],
    ["   \n", /empty/],
    ['{"refresh_token":"1.Aabc"}', /JSON/],
    ["1.Aabc 1.Adef", /more than one line or word/],
    ["1.Aabc\n1.Adef", /more than one line or word/],
    ["eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2ln", /access token/],
    ["1.Aabc\u00e9def", /characters a refresh token never has/],
  ])("refuses %j, saying why without quoting it", (raw, why) => {
    let error: unknown;
    try {
      checkRefreshTokenShape(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "import_token_input", exitCode: ExitCode.Usage });
    expect((error as Error).message).toMatch(why);
    if (raw.trim()) expect((error as Error).message).not.toContain(raw.trim());
  });

  it("accepts the opaque tokens Entra ID issues", () => {
    expect(checkRefreshTokenShape(`0.ARoA${"a-b_c.d*e".repeat(40)}`)).toMatch(/^0\.ARoA/);
  });
});
