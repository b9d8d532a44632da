import { describe, expect, it } from "vitest";
import { browserUnavailableReason } from "../../../bootstrap/src/sign-in/browser-environment";

describe("browserUnavailableReason", () => {
  it.each<[string, NodeJS.ProcessEnv, NodeJS.Platform, RegExp | undefined]>([
    ["Linux with X11", { DISPLAY: ":0" }, "linux", undefined],
    ["Linux with Wayland", { WAYLAND_DISPLAY: "wayland-0" }, "linux", undefined],
    ["Linux without a display", {}, "linux", /no graphical session/],
    ["FreeBSD without a display", {}, "freebsd", /no graphical session/],
    ["macOS", {}, "darwin", undefined],
    ["Windows", {}, "win32", undefined],
    ["WSL without a display (opens the Windows browser)", { WSL_DISTRO_NAME: "Ubuntu" }, "linux", undefined],
    ["an SSH session with a forwarded display", { DISPLAY: "localhost:10.0", SSH_CONNECTION: "192.0.2.1 1 192.0.2.2 22" }, "linux", /SSH session \(SSH_CONNECTION is set\)/],
    ["an SSH session on macOS", { SSH_TTY: "/dev/ttys001" }, "darwin", /SSH_TTY/],
    ["an SSH session with BROWSER set (VS Code remote forwards the URL)", { SSH_CONNECTION: "x", BROWSER: "/home/u/.vscode-server/bin/helpers/browser.sh" }, "linux", undefined],
  ])("on %s", (_name, env, platform, expected) => {
    const reason = browserUnavailableReason({ env, platform });
    if (expected) expect(reason).toMatch(expected);
    else expect(reason).toBeUndefined();
  });
});
