/**
 * Whether a browser can open on this machine, and opening it. The bootstrap
 * asks before it tries: on a machine where none can open it prints the URL and
 * takes the pasted redirect address at once (as `--no-browser` does) instead of
 * saying "Opening the browser…" and waiting for a sign-in that cannot happen.
 */
import { importEsm } from "../core/import-esm";

/** Where the command runs: the environment and platform (the process's own by default; injected by tests and library callers). */
export interface BrowserEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** This process's environment and platform. */
export function processBrowserEnvironment(): BrowserEnvironment {
  return { env: process.env, platform: process.platform };
}

/**
 * Why no browser can open here, or undefined when one may. `BROWSER` names a
 * browser (xdg-open and the `open` package hand it the URL; VS Code's remote
 * sessions set it to forward the URL to the local machine), so it wins. An SSH
 * session (`SSH_CONNECTION`, `SSH_CLIENT`, `SSH_TTY`, as OpenSSH's sshd sets
 * them) opens nothing on the machine the person sits at; a Linux or BSD system
 * without `DISPLAY` or `WAYLAND_DISPLAY` has no graphical session (WSL opens the
 * Windows browser, so it does not count).
 */
export function browserUnavailableReason(where: BrowserEnvironment): string | undefined {
  const { env, platform } = where;
  if (env.BROWSER) return undefined;
  const ssh = ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"].find((name) => env[name]);
  if (ssh) return `this is an SSH session (${ssh} is set)`;
  const wsl = Boolean(env.WSL_DISTRO_NAME || env.WSL_INTEROP);
  if (platform !== "darwin" && platform !== "win32" && !wsl && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return "there is no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)";
  }
  return undefined;
}

/**
 * Opens `url` in the system browser with the `open` package. Resolves when the
 * opener (xdg-open, `open`, `start`) exits successfully; rejects when it cannot
 * start or exits with an error (xdg-open exits 3 when it finds no browser), so
 * the caller can fall back to a pasted address; stays pending while an opener
 * keeps running. It never keeps the process alive.
 */
export async function openSystemBrowser(url: string): Promise<void> {
  const { default: open } = await importEsm<typeof import("open", { with: { "resolution-mode": "import" } })>("open");
  const opener = await open(url, { wait: false });
  await new Promise<void>((resolve, reject) => {
    opener.once("error", reject);
    opener.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`the browser opener ${code === null ? `was stopped by ${signal ?? "a signal"}` : `exited with code ${code}`}`));
    });
  });
}
