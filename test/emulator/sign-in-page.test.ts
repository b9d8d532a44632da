/**
 * The emulator's sign-in pages in headless Chromium: what a person sees in the
 * demo — the sign-in with the user filled in, the MFA step naming the user,
 * the consent page — each kept as a screenshot, on plain loopback HTTP so the
 * browser shows no certificate warning.
 *
 * Without Chromium the test is skipped with a note on how to install it —
 * except under CI=true, where it fails.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../emulator";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM_PATH);
if (!haveChromium && process.env.CI === "true") throw new Error(`Chromium was not found at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\`.`);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let emu: Emulator;
let browser: Browser;
const shots = mkdtempSync(path.join(os.tmpdir(), "pcsam-sign-in-shots-"));

beforeAll(async () => {
  if (!haveChromium) return;
  emu = await startEmulator({ signInPagesOverHttp: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"],
  });
});
afterAll(async () => {
  await browser?.close();
  await emu?.close();
  rmSync(shots, { recursive: true, force: true });
});

/** The authorize URL MSAL would build for the bootstrap (PKCE, loopback redirect, login hint). */
function authorizeUrl(discovered: string): string {
  const verifier = randomBytes(32).toString("base64url");
  const url = new URL(discovered);
  url.search = new URLSearchParams({
    client_id: emu.clientId,
    response_type: "code",
    redirect_uri: "http://localhost:8400/",
    scope: `${emu.outputs.scopes[0]} offline_access openid profile`,
    state: randomBytes(8).toString("hex"),
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    response_mode: "query",
    prompt: "select_account",
    login_hint: emu.users[0].username,
  }).toString();
  return url.toString();
}

function expectPng(file: string): void {
  const png = readFileSync(file);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.length).toBeGreaterThan(5_000);
}

describe.skipIf(!haveChromium)("the emulator's sign-in pages in Chromium", () => {
  it("render the sign-in with the user filled in, then the MFA step naming the user, then the consent, over plain loopback HTTP", async () => {
    const metadata = (await (await fetch(`${emu.authorityHost}/${emu.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string };
    expect(new URL(metadata.authorization_endpoint).protocol, "no certificate for the browser to warn about").toBe("http:");
    const page = await browser.newPage();
    await page.goto(authorizeUrl(metadata.authorization_endpoint));

    expect(await page.inputValue("#username")).toBe(emu.users[0].username);
    await expect(page.locator("h1").textContent()).resolves.toBe("Sign in");
    await page.screenshot({ path: path.join(shots, "1-sign-in.png"), fullPage: true });
    expectPng(path.join(shots, "1-sign-in.png"));

    await page.fill("#password", emu.users[0].password);
    await Promise.all([page.waitForNavigation(), page.click("#next")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Enter code");
    expect(await page.locator("body").innerText()).toContain(emu.users[0].username);
    expect(await page.isVisible("#otc")).toBe(true);
    await page.screenshot({ path: path.join(shots, "2-mfa.png"), fullPage: true });
    expectPng(path.join(shots, "2-mfa.png"));

    await page.fill("#otc", emu.users[0].mfaCode);
    await Promise.all([page.waitForNavigation(), page.click("#verify")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Permissions requested");
    await page.screenshot({ path: path.join(shots, "3-consent.png"), fullPage: true });
    expectPng(path.join(shots, "3-consent.png"));
    // A plain version of Microsoft's look: a white card on a light page, and it says it is the emulator.
    expect(await page.locator("body").innerText()).toMatch(/emulator/i);
    await page.close();
  });
});
