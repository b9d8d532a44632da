import { describe, expect, it } from "vitest";
import { CancelledError } from "../../../bootstrap/src/core/cancellation";
import { ConsentRequiredError, ExitCode, UsageError, VaultError } from "../../../bootstrap/src/core/errors";
import { Reporter } from "../../../bootstrap/src/cli/reporter";
import { CaptureStream } from "../fixtures";

const REFRESH_TOKEN = "1.AXEAunit-test-refresh-token-value_0123456789";
const CLIENT_SECRET = "Zq8~unit-test-client-secret~value";
const JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1cG4iOiJhZG1pbkBjb250b3NvLmV4YW1wbGUifQ.c2lnbmF0dXJlLWJ5dGVz";

function reporter(json: boolean): { reporter: Reporter; stdout: CaptureStream; stderr: CaptureStream } {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  return { reporter: new Reporter({ json, stdout, stderr }), stdout, stderr };
}

/** Every kind of line a command writes, each mentioning `text`. */
function writeEverything(r: Reporter, text: string): void {
  r.step(`step ${text}`);
  r.note(`note ${text}`);
  r.warn(`warn ${text}`);
  r.prompt(`prompt ${text}`);
  r.result([`result ${text}`], { value: text });
}

describe("Reporter in --json mode", () => {
  it("puts exactly one parseable JSON document on stdout and the progress on stderr", () => {
    const { reporter: r, stdout, stderr } = reporter(true);
    writeEverything(r, "x");
    expect(JSON.parse(stdout.text)).toEqual({ value: "x" });
    for (const line of ["• step x", "  note x", "! warn x", "prompt x"]) expect(stderr.text).toContain(line);
    expect(stderr.text).not.toContain("result x");
    expect(stderr.text).not.toContain('"value"');
  });

  it("prints a failure as one document { ok: false, error: { code, message, hint, aadsts } } and also explains it on stderr", () => {
    const { reporter: r, stdout, stderr } = reporter(true);
    const exitCode = r.failure(new ConsentRequiredError("The stored refresh token has expired. (AADSTS70008)", { aadsts: "70008" }));
    expect(exitCode).toBe(ExitCode.ActionNeeded);
    expect(JSON.parse(stdout.text)).toEqual({
      ok: false,
      error: {
        code: "consent_required",
        message: "The stored refresh token has expired. (AADSTS70008)",
        hint: "Run `partner-center-sam bootstrap` to sign in again with MFA and store a new refresh token.",
        aadsts: "70008",
      },
    });
    expect(stderr.text).toContain("✖ The stored refresh token has expired. (AADSTS70008)");
    expect(stderr.text).toContain("Next: Run `partner-center-sam bootstrap`");
  });

  it("leaves hint and aadsts out of the failure document when the error has neither", () => {
    const { reporter: r, stdout } = reporter(true);
    r.failure(new UsageError("invalid_options", "Invalid options: --timeout"));
    expect(JSON.parse(stdout.text)).toEqual({ ok: false, error: { code: "invalid_options", message: "Invalid options: --timeout" } });
  });

  it("reports an unknown error as unexpected_error with a generic hint", () => {
    const { reporter: r, stdout } = reporter(true);
    expect(r.failure(new TypeError("boom"))).toBe(ExitCode.Failure);
    const document = JSON.parse(stdout.text) as { ok: boolean; error: Record<string, string> };
    expect(document.ok).toBe(false);
    expect(document.error).toMatchObject({ code: "unexpected_error", message: "Unexpected error: boom" });
    expect(document.error.hint).toContain("Run the command again");
  });
});

describe("Reporter in human mode", () => {
  it("prints the result lines on stdout and no JSON", () => {
    const { reporter: r, stdout, stderr } = reporter(false);
    writeEverything(r, "y");
    expect(stdout.text).toBe("result y\n");
    expect(stderr.text).toBe("• step y\n  note y\n! warn y\nprompt y\n");
  });

  it("prints a failure and its next step on stderr only", () => {
    const { reporter: r, stdout, stderr } = reporter(false);
    r.failure(new VaultError("vault_forbidden", "Key Vault said 403.", { hint: "Grant Key Vault Secrets Officer." }));
    expect(stdout.text).toBe("");
    expect(stderr.text).toBe("✖ Key Vault said 403.\n  Next: Grant Key Vault Secrets Officer.\n");
  });
});

describe("Reporter.failure exit codes", () => {
  it("returns the exit code the error carries", () => {
    expect(reporter(false).reporter.failure(new UsageError("bad", "bad input"))).toBe(ExitCode.Usage);
    expect(reporter(false).reporter.failure(new ConsentRequiredError("dead token"))).toBe(ExitCode.ActionNeeded);
    expect(reporter(false).reporter.failure(new VaultError("gone", "vault unreachable"))).toBe(ExitCode.Failure);
  });

  it("returns 1 for errors that are not the package's own, including thrown non-errors", () => {
    const { reporter: r, stderr } = reporter(false);
    expect(r.failure(new Error("socket hang up"))).toBe(1);
    expect(r.failure("a thrown string")).toBe(1);
    expect(stderr.text).toContain("Unexpected error: a thrown string");
  });
});

describe.each([true, false])("Reporter scrubbing (json: %s)", (json) => {
  it("never prints a protect()ed value on either stream, whatever the method", () => {
    const { reporter: r, stdout, stderr } = reporter(json);
    r.protect(REFRESH_TOKEN, CLIENT_SECRET);
    writeEverything(r, `token ${REFRESH_TOKEN} secret ${CLIENT_SECRET}`);
    for (const text of [stdout.text, stderr.text]) {
      expect(text).not.toContain(REFRESH_TOKEN);
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).toContain("[redacted]");
    }
  });

  it("scrubs protect()ed values from the message and hint of a failure", () => {
    const { reporter: r, stdout, stderr } = reporter(json);
    r.protect(REFRESH_TOKEN);
    r.failure(new Error(`Vault write failed for ${REFRESH_TOKEN}`));
    r.failure(new UsageError("leak", `message ${REFRESH_TOKEN}`, { hint: `hint ${REFRESH_TOKEN}` }));
    const all = stdout.text + stderr.text;
    expect(all).not.toContain(REFRESH_TOKEN);
    expect(all).toContain("Vault write failed for [redacted]");
    expect(all).toContain("hint [redacted]");
  });

  it("scrubs JWT-shaped strings that were never registered", () => {
    const { reporter: r, stdout, stderr } = reporter(json);
    writeEverything(r, `Bearer ${JWT}`);
    r.failure(new Error(`401 for token ${JWT}`));
    const all = stdout.text + stderr.text;
    expect(all).not.toContain(JWT);
    expect(all).not.toContain(JWT.split(".")[1]);
    expect(all).toContain("Bearer [redacted]");
  });

  it("scrubs code= and refresh_token= parameters but keeps harmless ones such as state", () => {
    const { reporter: r, stdout, stderr } = reporter(json);
    r.note("Redirected to http://localhost:8400/?code=0.AXEA-authcode-value&state=st4te-v4lue&session_state=abc");
    r.warn("POST body grant_type=refresh_token&refresh_token=0.AXEA-rt-value&client_id=x");
    const all = stdout.text + stderr.text;
    expect(all).not.toContain("authcode-value");
    expect(all).not.toContain("rt-value");
    expect(all).toContain("code=[redacted]&state=st4te-v4lue");
    expect(all).toContain("refresh_token=[redacted]&client_id=x");
  });
});

describe("Reporter.protect", () => {
  it("ignores values shorter than 6 characters, so ordinary words are not blanked out", () => {
    const { reporter: r, stderr } = reporter(false);
    r.protect("abc", undefined, "");
    r.step("abc is fine");
    expect(stderr.text).toBe("• abc is fine\n");
  });
});

describe("Reporter makes text from outside safe for the terminal", () => {
  const HOSTILE = [
    ["a colour escape", "Contoso \u001b[31mRED\u001b[0m Ltd", "Contoso RED Ltd"],
    ["a title-setting OSC sequence", "admin\u001b]0;pwned\u0007@contoso.example", "admin@contoso.example"],
    ["a cursor move that would overwrite earlier lines", "ok\u001b[2A\u001b[2Kfaked", "okfaked"],
    ["a carriage return that would overwrite the line", "AADSTS50011: bad\rAll good", "AADSTS50011: badAll good"],
    ["a bell, backspaces and NUL", "a\u0007b\bc\u0000d", "abcd"],
    ["a C1 control sequence (8-bit CSI)", "x\u009b31my", "xy"],
    ["a lone C1 control", "x\u0085y", "xy"],
    ["a right-to-left override", "Contoso\u202eLtd\u202c", "ContosoLtd"],
  ] as const;

  it.each(HOSTILE)("removes %s from every human line, on both streams", (_case, hostile, clean) => {
    const { reporter: r, stdout, stderr } = reporter(false);
    writeEverything(r, hostile);
    expect(stderr.text).toBe(`• step ${clean}\n  note ${clean}\n! warn ${clean}\nprompt ${clean}\n`);
    expect(stdout.text).toBe(`result ${clean}\n`);
  });

  it.each(HOSTILE)("removes %s from string values of the --json document", (_case, hostile, clean) => {
    const { reporter: r, stdout } = reporter(true);
    r.result([], { organization: { companyName: hostile }, tags: [hostile] });
    expect(JSON.parse(stdout.text)).toEqual({ organization: { companyName: clean }, tags: [clean] });
  });

  it("removes them from a failure's message and hint, in both modes", () => {
    const error = new UsageError("x", "Entra said: \u001b[8mhidden\u001b[0m\r\u001b[1Aforged", { hint: "Run \u001b]8;;https://evil.example\u0007this\u001b]8;;\u0007" });
    for (const json of [false, true]) {
      const { reporter: r, stdout, stderr } = reporter(json);
      r.failure(error);
      expect(stderr.text).toBe("✖ Entra said: hiddenforged\n  Next: Run this\n");
      if (json) expect(JSON.parse(stdout.text)).toMatchObject({ error: { message: "Entra said: hiddenforged", hint: "Run this" } });
      // eslint-disable-next-line no-control-regex
      expect(stdout.text + stderr.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    }
  });

  it("keeps line feeds and tabs of its own lines", () => {
    const { reporter: r, stderr } = reporter(false);
    r.prompt("\nOpen this:\n\n\thttps://x\n");
    expect(stderr.text).toBe("\nOpen this:\n\n\thttps://x\n\n");
  });

  it("still scrubs a secret that escape sequences were meant to split", () => {
    const { reporter: r, stderr } = reporter(false);
    r.protect(CLIENT_SECRET);
    r.warn(`${CLIENT_SECRET.slice(0, 10)}\u001b[0m${CLIENT_SECRET.slice(10)}`);
    expect(stderr.text).toBe("! [redacted]\n");
  });
});

describe("Reporter.failure after a termination signal", () => {
  it("returns 130 for SIGINT and 143 for SIGTERM", () => {
    expect(reporter(false).reporter.failure(new CancelledError("SIGINT", "Sign-in cancelled (SIGINT)."))).toBe(130);
    expect(reporter(false).reporter.failure(new CancelledError("SIGTERM", "Sign-in cancelled (SIGTERM)."))).toBe(143);
  });
});

describe("Reporter for a command that prints a token (progress: false, secretResult)", () => {
  function quiet(json: boolean) {
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    return { r: new Reporter({ json, progress: false, stdout, stderr }), stdout, stderr };
  }

  it("prints no progress, but still warnings and failures", () => {
    const { r, stderr } = quiet(false);
    r.step("step x");
    r.note("note x");
    r.warn("warn x");
    r.failure(new UsageError("bad", "bad input"));
    expect(stderr.text).not.toContain("step x");
    expect(stderr.text).not.toContain("note x");
    expect(stderr.text).toContain("! warn x");
    expect(stderr.text).toContain("✖ bad input");
  });

  it("prints the protected token alone on stdout, unscrubbed, while every other line still hides it", () => {
    const { r, stdout, stderr } = quiet(false);
    r.protect(JWT);
    r.warn(`not here: ${JWT}`);
    r.secretResult(JWT, { accessToken: JWT });
    expect(stdout.text).toBe(`${JWT}\n`);
    expect(stderr.text).not.toContain(JWT);
  });

  it("prints the document holding the token with --json", () => {
    const { r, stdout } = quiet(true);
    r.secretResult(JWT, { accessToken: JWT, tokenType: "Bearer" });
    expect(JSON.parse(stdout.text)).toEqual({ accessToken: JWT, tokenType: "Bearer" });
  });
});
