/**
 * How the bootstrap's sign-in reaches the person: the --login-hint account in
 * the authorize URL the bootstrap itself prints (and pre-filled on the sign-in
 * page), and a machine where no browser can open (SSH, no display, an opener
 * that fails) taking the pasted redirect address at once, as --no-browser does.
 */
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIns, type StandIns } from "../support/stand-ins";
import { freeLoopbackPort } from "../support/free-port";
import { BootstrapHarness, jsonDocument } from "./bootstrap-helpers";

const PORT = freeLoopbackPort();
let s: StandIns;
let h: BootstrapHarness;

beforeAll(async () => {
  s = await startStandIns();
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

/** No display, no BROWSER, no SSH: what a test sets on top says which kind of machine it is. */
const HEADLESS = { DISPLAY: undefined, WAYLAND_DISPLAY: undefined, BROWSER: undefined, SSH_CONNECTION: undefined, SSH_CLIENT: undefined, SSH_TTY: undefined, WSL_DISTRO_NAME: undefined, WSL_INTEROP: undefined };

describe("bootstrap --login-hint", () => {
  it("sends the hint as login_hint (with prompt=login) in the authorize URL it prints, and the sign-in page shows that account", async () => {
    const admin = s.users.admin;
    const { cli, authorizeUrl } = h.start(["--no-browser", "--json", "--login-hint", admin.username]);
    const url = new URL(await authorizeUrl());
    expect(url.searchParams.get("login_hint")).toBe(admin.username);
    expect(url.searchParams.get("prompt")).toBe("login");

    const page = await fetch(url, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
    expect(page).toMatch(new RegExp(`<input id="username"[^>]*value="${admin.username.replace(/\./g, "\\.")}"`));

    cli.type((await h.signIn(url.toString(), admin)).toString());
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, consentedBy: admin.username });
  });

  it("keeps prompt=select_account and sends no login_hint without --login-hint", async () => {
    const { cli, authorizeUrl } = h.start(["--no-browser"]);
    const url = new URL(await authorizeUrl());
    expect(url.searchParams.get("prompt")).toBe("select_account");
    expect(url.searchParams.has("login_hint")).toBe(false);
    cli.child.kill("SIGTERM");
    await cli.done;
  });
});

describe("bootstrap where no browser can open", () => {
  it.each([
    ["an SSH session", { ...HEADLESS, DISPLAY: ":0", SSH_CONNECTION: "192.0.2.1 50000 192.0.2.2 22" }, /this is an SSH session \(SSH_CONNECTION is set\)/],
    ["Linux without a display", HEADLESS, /no graphical session \(neither DISPLAY nor WAYLAND_DISPLAY is set\)/],
  ])("in %s says so, prints the URL and accepts the pasted redirect address without --no-browser", async (_name, env, reason) => {
    const { cli, authorizeUrl } = h.start(["--json"], { env });
    const url = await authorizeUrl();
    await cli.waitForStderr(reason);
    cli.type((await h.signIn(url, s.users.admin)).toString());
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/No browser can open on this machine/);
    expect(result.stderr).not.toContain("Opening the browser");
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, consentedBy: s.users.admin.username });
  });

  it("when the browser opener fails, says so and accepts the pasted redirect address at once", async () => {
    const dir = h.newDir("failing-browser");
    const browser = path.join(dir, "failing-browser");
    writeFileSync(browser, "#!/bin/sh\nexit 1\n");
    chmodSync(browser, 0o755);
    const { cli, authorizeUrl } = h.start(["--json"], { env: { ...HEADLESS, BROWSER: browser, XDG_CURRENT_DESKTOP: "X-Generic" } });
    const url = await authorizeUrl();
    await cli.waitForStderr(/Opening the browser/);
    await cli.waitForStderr(/Could not open a browser[^\n]*\n[^\n]*paste it here/);
    cli.type((await h.signIn(url, s.users.admin)).toString());
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
  });
});
