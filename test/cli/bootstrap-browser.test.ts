/**
 * `npm run bootstrap` with a real browser: Debian's Chromium, driven by
 * playwright-core, opens the URL the bootstrap hands to the system browser,
 * signs in with password and MFA on the Entra stand-in's pages, consents, and
 * lands on the loopback server's page while the bootstrap stores the token.
 *
 * Without Chromium the test is skipped with a note on how to install it —
 * except under CI=true, where it fails.
 */
import { X509Certificate, createHash } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testTls } from "../support/global-setup";
import { startStandIns, type StandIns } from "../support/stand-ins";
import { AUTHORIZE_URL, BootstrapHarness, expectNoSecretOnScreen, jsonDocument, redirectUriOf } from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const INSTALL_HINT = `Chromium was not found at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\` (or point CHROMIUM_PATH at a Chromium binary).`;

let s: StandIns;
let h: BootstrapHarness;
let browser: Browser | undefined;

beforeAll(async () => {
  s = await startStandIns();
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await browser?.close();
  await h?.cleanup();
  await s?.stop();
});

/**
 * Chromium flags: headless-friendly, no background traffic, and no name
 * resolution except localhost, so the browser cannot reach beyond loopback.
 * The stand-ins' certificate is trusted by its public key (nothing else is).
 */
function chromiumArgs(): string[] {
  const spki = createHash("sha256").update(new X509Certificate(testTls().cert).publicKey.export({ type: "spki", format: "der" })).digest("base64");
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    `--ignore-certificate-errors-spki-list=${spki}`,
  ];
}

/**
 * A stand-in for the desktop's "open this URL": the `open` package runs its
 * bundled xdg-open, which (in a generic desktop without a display) hands the
 * URL to $BROWSER; a system xdg-open is looked up on PATH. Both are replaced by
 * a script that writes the URL to a file instead of opening anything.
 */
function fakeBrowserOpener(): { env: Record<string, string | undefined>; openedFile: string } {
  const dir = h.newDir("opener");
  const openedFile = path.join(dir, "opened.txt");
  const script = `#!/bin/sh\nprintf '%s\\n' "$1" >> '${openedFile}'\n`;
  for (const name of ["xdg-open", "fake-browser"]) {
    writeFileSync(path.join(dir, name), script);
    chmodSync(path.join(dir, name), 0o755);
  }
  return {
    openedFile,
    env: {
      PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}`,
      BROWSER: path.join(dir, "fake-browser"),
      XDG_CURRENT_DESKTOP: "X-Generic",
      DISPLAY: undefined,
      WAYLAND_DISPLAY: undefined,
      XDG_RUNTIME_DIR: undefined,
    },
  };
}

/** Waits until the fake opener has written a URL. */
async function openedUrl(file: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    if (lines.length) {
      expect(lines).toHaveLength(1);
      return lines[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the bootstrap did not open a browser within ${timeoutMs} ms`);
}

describe("npm run bootstrap in a real browser", () => {
  it("signs in with MFA in Chromium on the URL it opens, ends on the 'Sign-in complete' page without the code, and stores the refresh token", async (ctx) => {
    if (!existsSync(CHROMIUM_PATH)) {
      if (process.env.CI === "true") throw new Error(`${INSTALL_HINT} Under CI=true the real-browser test must run.`);
      console.warn(`Skipping the real-browser bootstrap test. ${INSTALL_HINT}`);
      ctx.skip(INSTALL_HINT);
    }
    const admin = s.users.admin;
    const opener = fakeBrowserOpener();
    const { cli } = h.start(["--json", "--timeout", "60"], { env: opener.env });
    const url = await openedUrl(opener.openedFile);
    expect(url).toMatch(AUTHORIZE_URL);
    expect((await cli.waitForStderr(AUTHORIZE_URL))[1]).toBe(url);
    const redirectUri = redirectUriOf(url);
    expect(redirectUri).toMatch(/^http:\/\/localhost:\d+\/$/);

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs() });
    const context = await browser.newContext();
    const requested: string[] = [];
    context.on("request", (request) => requested.push(request.url()));
    const page = await context.newPage();

    await page.goto(url);
    await page.fill("#username", admin.username);
    await page.fill("#password", admin.password);
    await page.click("#next");
    await page.fill("#otc", admin.mfaCode);
    await page.click("#verify");
    await page.click("#accept");
    await page.waitForURL(redirectUri);

    expect(await page.textContent("h1")).toBe("Sign-in complete");
    expect(await page.textContent("body")).toContain("You can close this window");
    expect(page.url()).toBe(redirectUri);
    expect(page.url()).not.toContain("code=");
    expect(await page.content()).not.toMatch(/code=|1\.A[\w-]{20}/);

    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    const stored = s.vault.latest(s.outputs.secretNames.refreshToken);
    expect(stored && s.entra.isRefreshTokenValid(stored.value)).toBe(true);
    expect(stored?.tags).toMatchObject({ consentedBy: admin.username, mfa: "true" });
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, version: stored?.version, consentedBy: admin.username, verified: true });
    expect(result.stderr).toContain("Opening the browser for sign-in");

    // The browser only ever talked to the stand-ins and the loopback server.
    expect(requested.length).toBeGreaterThanOrEqual(5);
    for (const address of requested) expect(new URL(address).hostname).toBe("localhost");
    expectNoSecretOnScreen(h, 1);
  });
});
