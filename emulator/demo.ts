/**
 * What `npm run demo` (`partner-center-sam demo`) does: starts the emulator,
 * saves the outputs `pulumi up` would have produced, then runs the real
 * commands one after another as child processes — status, bootstrap, status,
 * refresh, token, call — printing each command line before its output, and
 * ends with a summary. Unattended, the emulator completes the sign-in itself.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "./emulator";
import { defaultEstate } from "./estate";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The emulator completes the sign-in; otherwise the system browser opens its sign-in page. */
  unattended: boolean;
  /** Where the text goes (default stdout). */
  write?: (text: string) => void;
  /** Stops the demo (Ctrl-C in the command). */
  signal?: AbortSignal;
}

/** One step of the demo and how it went. */
export interface DemoStep {
  /** The command line shown, e.g. `partner-center-sam status --outputs …`. */
  command: string;
  expectedExitCode: number;
  exitCode: number | null;
  ok: boolean;
  /** What the step shows. */
  purpose: string;
}

/** The demo's result. */
export interface DemoResult {
  ok: boolean;
  steps: DemoStep[];
  seconds: number;
}

/** How long one command of the demo may take (the attended sign-in: as long as `bootstrap --timeout`). */
const STEP_DEADLINE_MS = 60_000;
const SIGN_IN_DEADLINE_MS = 310_000;

/** Whether the demo runs without a person: asked for, CI, or no display to open a browser on. */
export function demoIsUnattended(asked: boolean, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (asked || /^(1|true)$/i.test(env.CI ?? "")) return true;
  return platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY;
}

/** The package's command-line entry point (its `bin`). */
function cliPath(): string {
  const manifest = require.resolve("partner-center-sam/package.json");
  const bin = (JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> }).bin["partner-center-sam"];
  return path.join(path.dirname(manifest), bin);
}

/** This process's environment without Azure credential settings, plus the emulator's (NODE_OPTIONS added to, not replaced). */
function childEnv(emu: Emulator): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) env[k] = v;
  return { ...env, ...emu.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, emu.env.NODE_OPTIONS].filter(Boolean).join(" ") };
}

interface StepRun {
  exitCode: number | null;
  stdout: string;
}

/** Runs one command, streaming its stderr (and, unless captured, its stdout) to `write`. */
function runStep(
  args: string[],
  env: NodeJS.ProcessEnv,
  write: (text: string) => void,
  options: { captureStdout?: boolean; onStderr?: (text: string) => void; deadlineMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<StepRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { env: { ...env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      if (options.captureStdout) stdout += text;
      else write(text);
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      write(text);
      options.onStderr?.(text);
    });
    const kill = () => child.kill("SIGTERM");
    const timer = setTimeout(kill, options.deadlineMs);
    options.signal?.addEventListener("abort", kill, { once: true });
    child.on("error", () => resolve({ exitCode: null, stdout }));
    child.on("close", (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      resolve({ exitCode: code, stdout });
    });
  });
}

/** `text` indented when it is JSON (the command prints it compact into a pipe), else as it is. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text.trimEnd();
  }
}

/** One short line per NDJSON line of `call --customers` (the bodies are long): the customer and how it answered. */
function ndjsonSummary(stdout: string): string {
  return stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      try {
        const l = JSON.parse(line) as { displayName?: string; ok?: boolean; status?: number | null; error?: { code?: string } };
        return `  ${l.ok ? "✔" : "✖"} ${l.displayName ?? "?"}: ${l.ok ? `HTTP ${l.status}` : (l.error?.code ?? "failed")}`;
      } catch {
        return `  ${line.slice(0, 120)}`;
      }
    })
    .join("\n");
}

/** Runs the demo; resolves with each step's result (`ok` when every step exited as expected). */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const started = Date.now();
  write("Starting the emulator: Entra ID, Key Vault, Partner Center and Microsoft Graph on this machine (no Azure, no network), with a small estate of customers.\n");
  const emu = await startEmulator({ customers: defaultEstate(), signInPagesOverHttp: true });
  const steps: DemoStep[] = [];
  try {
    const outputs = emu.writeOutputs();
    const user = emu.users[0];
    write(
      [
        `The stack outputs \`pulumi up\` would have produced are in ${outputs}:`,
        "an app registration, its certificate in the vault, and the vault itself — here served by the emulator.",
        "",
      ].join("\n") + "\n",
    );
    const env = childEnv(emu);
    const target = ["--outputs", outputs];
    const step = async (purpose: string, args: string[], expectedExitCode: number, extra: Parameters<typeof runStep>[3] = { deadlineMs: STEP_DEADLINE_MS }) => {
      // Environment variables are shown by name only: a webhook URL is a credential.
      const command = `${Object.keys(extra.env ?? {}).map((name) => `${name}=… `).join("")}partner-center-sam ${args.join(" ")}`;
      write(`\n▶ ${purpose}\n$ ${command}\n`);
      const run = await runStep(args, env, write, { ...extra, signal: options.signal });
      const ok = run.exitCode === expectedExitCode;
      steps.push({ command, expectedExitCode, exitCode: run.exitCode, ok, purpose });
      if (!ok) write(`✖ Expected exit code ${expectedExitCode}, got ${run.exitCode ?? "none (stopped)"}.\n`);
      return run;
    };

    await step("Before the bootstrap, no refresh token is stored: status says so (exit 3).", ["status", ...target], 3);
    await step(
      "The same status with a notification target (PARTNER_CENTER_SAM_NOTIFY, here a Teams webhook the emulator stands in for): a person hears about it.",
      ["status", ...target],
      3,
      { deadlineMs: STEP_DEADLINE_MS, env: { PARTNER_CENTER_SAM_NOTIFY: emu.webhookUrl("teams") } },
    );
    const card = emu.webhooks.find((w) => w.kind === "teams")?.body as { attachments?: Array<{ content?: { body?: Array<{ text?: string }> } }> } | undefined;
    const lines = card?.attachments?.[0]?.content?.body?.flatMap((block) => (block.text ? [block.text] : [])) ?? [];
    write(lines.length ? `The Teams webhook received an Adaptive Card:
${lines.map((l) => `  | ${l}`).join("\n")}\n` : "✖ The webhook received nothing.\n");

    if (options.unattended) {
      write(`\n(Unattended: the emulator signs in as ${user.username} with the MFA code itself; nobody types anything.)\n`);
      let signIn: Promise<void> | undefined;
      let seen = "";
      await step("The bootstrap: an interactive sign-in with MFA, then the first refresh token goes into the vault.", ["bootstrap", ...target, "--no-browser", "--login-hint", user.username], 0, {
        deadlineMs: STEP_DEADLINE_MS,
        onStderr: (text) => {
          seen += text;
          const url = /^\s+(https?:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)$/m.exec(seen)?.[1];
          if (url && !signIn) {
            signIn = emu.signIn({ url }).catch((error: unknown) => write(`✖ The emulator could not complete the sign-in: ${error instanceof Error ? error.message : String(error)}\n`));
          }
        },
      });
      await signIn;
    } else {
      write(`\nYour browser opens the emulator's sign-in page. Sign in as ${user.username} with password ${user.password} and MFA code ${user.mfaCode} (valid only in this emulator).\n`);
      await step("The bootstrap: an interactive sign-in with MFA, then the first refresh token goes into the vault.", ["bootstrap", ...target, "--login-hint", user.username], 0, {
        deadlineMs: SIGN_IN_DEADLINE_MS,
      });
    }

    await step("Now status reports a healthy refresh token (exit 0).", ["status", ...target], 0);
    await step("refresh redeems the stored token and stores the rotated one, as the scheduled job does.", ["refresh", ...target], 0);
    const token = await step("token prints an access token for other tools (the demo hides it).", ["token", ...target], 0, { deadlineMs: STEP_DEADLINE_MS, captureStdout: true });
    if (token.stdout) write(`(an access token of ${token.stdout.trim().length} characters was printed on stdout; not shown here)\n`);
    const call = await step("call sends a Partner Center API request with the stored identity.", ["call", "/v1/customers", ...target], 0, { deadlineMs: STEP_DEADLINE_MS, captureStdout: true });
    write(`${prettyJson(call.stdout)}\n`);
    await step(
      "customers shows the access health of every customer — GDAP, consent, access — with a verdict and the next step; the estate has one customer in each state, so it exits 3.",
      ["customers", ...target],
      3,
    );
    const fanOut = await step(
      "call --customers runs one Microsoft Graph request in every customer tenant, one NDJSON line per customer as it completes; the customers that cannot answer make it exit 1.",
      ["call", "--customers", "all", `${emu.graphEndpoint}/v1.0/organization`, ...target],
      1,
      { deadlineMs: STEP_DEADLINE_MS, captureStdout: true },
    );
    write(`${ndjsonSummary(fanOut.stdout)}\n`);
  } finally {
    await emu.close();
  }
  const ok = steps.length === 9 && steps.every((s) => s.ok);
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  write(
    [
      "",
      ok ? `✔ Demo finished in ${seconds} s: every step behaved as expected.` : `✖ Demo finished in ${seconds} s: ${steps.filter((s) => !s.ok).length} step(s) did not behave as expected (see above).`,
      "",
      "What you saw: the state before the bootstrap (and the Teams card it sends), the MFA sign-in storing the first refresh token in Key Vault,",
      "a healthy status, a refresh rotating the token, an access token for other tools, a Partner Center call,",
      "the health of every customer, and one Graph request fanned out to every customer tenant.",
      "",
      "On real Azure:",
      "  - `pulumi up` creates the app registration, its certificate and the Key Vault (here the emulator made them).",
      "  - The sign-in is Microsoft's, with your real MFA; the account needs Partner Center roles (Admin agent).",
      "  - The tokens are Entra ID's and Partner Center answers with your real customers.",
      "",
    ].join("\n"),
  );
  return { ok, steps, seconds };
}
