/**
 * Shared drivers and checks for the end-to-end tests of `npm run bootstrap`:
 * stack-outputs files, starting the built command against the stand-ins,
 * signing in on the stand-in's pages, delivering the redirect (to the loopback
 * server or pasted), and the assertions every scenario makes — exit code,
 * message (stderr and the --json document), the vault's refresh-token secret
 * unchanged, and no secret anywhere in what the command printed.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import type { SignInOptions } from "../../emulator/entra";
import type { SecretVersion } from "../../emulator/key-vault";
import { runCli, startCli, transcript, type CliResult, type RunningCli } from "../support/run-cli";
import type { StackOutputs, StandIns, StandInUser } from "../support/stand-ins";
import { leakedSecrets } from "../support/fixtures";

/** The sign-in URL as the bootstrap prints it on stderr. */
export const AUTHORIZE_URL = /(https:\/\/\S+\/oauth2\/v2\.0\/authorize\S+)/;

/** Stack outputs as JSON values, so tests can break them on purpose. */
export type OutputsDocument = Record<string, unknown>;

/** How a test starts the bootstrap. */
export interface StartOptions {
  /** The outputs to write to a file and pass with --outputs (default: the stand-ins' outputs). `null`: no --outputs. */
  outputs?: OutputsDocument | null;
  /** Extra environment for the child (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
}

/** A bootstrap waiting for its sign-in. */
export interface RunningBootstrap {
  cli: RunningCli;
  /** The authorize URL it printed (waits for it). */
  authorizeUrl(): Promise<string>;
}

/** How a sign-in is finished by {@link BootstrapHarness.signInAndFinish}. */
export interface FinishOptions extends StartOptions {
  /** The user who signs in (default the MFA admin). */
  user?: StandInUser;
  /** Page answers other than the user's credentials, e.g. `{ consent: "deny" }`. */
  pages?: Partial<SignInOptions>;
  /** `loopback` (default): the browser's redirect reaches the loopback server; `paste`: the address is typed into the terminal. */
  deliver?: "loopback" | "paste";
}

/** What {@link BootstrapHarness.signInAndFinish} observed. */
export interface FinishedSignIn {
  result: CliResult;
  authorizeUrl: string;
  /** Where Entra redirected the browser (carries the code or the error). */
  redirect: URL;
  /** The loopback server's answer to that redirect (loopback delivery only). */
  loopbackAnswer?: LoopbackAnswer;
  /** The page a browser lands on when it follows the loopback server's redirect, if it sent one. */
  finalPage?: LoopbackAnswer;
}

/** A plain HTTP answer from the loopback server. */
export interface LoopbackAnswer {
  status: number;
  location?: string;
  body: string;
}

/** What a failed run must show. */
export interface ExpectedFailure {
  exitCode: number;
  /** The stable error code (`error.code` with --json). */
  code: string;
  /** Each must match the message. */
  message?: RegExp[];
  /** Each must match the hint ("Next: …"). */
  hint?: RegExp[];
  /** The AADSTS number reported with --json. */
  aadsts?: string;
}

/**
 * Per-file driver: owns a scratch directory and knows the redirect port the
 * file uses (each test file has its own, since vitest runs files in parallel).
 */
export class BootstrapHarness {
  readonly dir: string;
  /** Commands started so far (for the non-vacuity check of {@link expectNoSecretOnScreen}). */
  runs = 0;
  private files = 0;
  private readonly running = new Set<RunningCli>();

  constructor(
    readonly s: StandIns,
    /** The port of the redirect URI written to the outputs. */
    readonly port: number,
  ) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "pcsam-bootstrap-test-"));
  }

  /** The stand-ins' outputs with this file's redirect URI, as a fresh JSON copy. */
  outputs(overrides: OutputsDocument = {}): OutputsDocument {
    const outputs: StackOutputs = { ...this.s.outputs, redirectUri: `http://localhost:${this.port}/` };
    return { ...(JSON.parse(JSON.stringify(outputs)) as OutputsDocument), ...overrides };
  }

  /** The outputs without the named ones. */
  outputsWithout(...names: string[]): OutputsDocument {
    const outputs = this.outputs();
    for (const name of names) delete outputs[name];
    return outputs;
  }

  /** Writes an outputs document to a new file and returns its path. */
  writeOutputs(outputs: OutputsDocument): string {
    const file = path.join(this.dir, `outputs-${++this.files}.json`);
    writeFileSync(file, JSON.stringify(outputs, null, 2));
    return file;
  }

  /** A new empty directory in the scratch area. */
  newDir(name: string): string {
    const dir = path.join(this.dir, `${name}-${++this.files}`);
    mkdirSync(dir);
    return dir;
  }

  /** The command line: --outputs FILE (unless `outputs: null`) followed by `args`. */
  argv(args: string[], options: StartOptions = {}): string[] {
    if (options.outputs === null) return args;
    return ["--outputs", this.writeOutputs(options.outputs ?? this.outputs()), ...args];
  }

  /** Starts the bootstrap; stdin stays open for a pasted address. */
  start(args: string[], options: StartOptions = {}): RunningBootstrap {
    this.runs++;
    const cli = startCli("bootstrap", this.argv(args, options), this.s.childEnv(options.env));
    this.running.add(cli);
    void cli.done.then(() => this.running.delete(cli));
    return { cli, authorizeUrl: async () => (await cli.waitForStderr(AUTHORIZE_URL))[1] };
  }

  /** Runs the bootstrap to the end with stdin closed (for runs that fail before the sign-in). */
  run(args: string[], options: StartOptions = {}): Promise<CliResult> {
    this.runs++;
    return runCli("bootstrap", this.argv(args, options), this.s.childEnv(options.env));
  }

  /** Answers the stand-in's sign-in pages as `user` and returns where Entra redirects the browser. */
  signIn(authorizeUrl: string, user: StandInUser = this.s.users.admin, pages: Partial<SignInOptions> = {}): Promise<URL> {
    return this.s.entra.signIn(authorizeUrl, { username: user.username, password: user.password, mfaCode: user.mfaCode, ...pages });
  }

  /** Starts the bootstrap, signs in, delivers the redirect and waits for the command to end. */
  async signInAndFinish(args: string[], options: FinishOptions = {}): Promise<FinishedSignIn> {
    const { cli, authorizeUrl } = this.start(args, options);
    const url = await authorizeUrl();
    const redirect = await this.signIn(url, options.user, options.pages);
    if (options.deliver === "paste") {
      cli.type(redirect.toString());
      return { result: await cli.done, authorizeUrl: url, redirect };
    }
    const { loopbackAnswer, finalPage } = await deliverLikeABrowser(redirect);
    return { result: await cli.done, authorizeUrl: url, redirect, loopbackAnswer, finalPage };
  }

  /**
   * Runs a scenario that must fail: checks the exit code and message (see
   * {@link expectFailure}) and that the refresh-token secret is exactly as before.
   */
  async expectRefused(json: boolean, expected: ExpectedFailure, scenario: () => Promise<CliResult>): Promise<CliResult> {
    const before = refreshTokenVersions(this.s);
    const result = await scenario();
    expectFailure(result, expected, json);
    expectVaultUnchanged(this.s, before);
    return result;
  }

  /** Stops commands a failed test left waiting, and removes the scratch directory. */
  async cleanup(): Promise<void> {
    const left = [...this.running];
    for (const { child } of left) child.kill();
    await Promise.all(left.map((cli) => cli.done));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The `redirect_uri` the bootstrap sent to Entra. */
export function redirectUriOf(authorizeUrl: string): string {
  const redirectUri = new URL(authorizeUrl).searchParams.get("redirect_uri");
  if (!redirectUri) throw new Error(`no redirect_uri in ${authorizeUrl}`);
  return redirectUri;
}

/**
 * GETs a `http://localhost:<port>/…` address from the loopback server on
 * 127.0.0.1 (or `address`), with the Host header a browser sends
 * (`localhost:<port>`), without following redirects and without keeping the
 * connection for later requests.
 */
export function getFromLoopback(target: URL | string, address = "127.0.0.1"): Promise<LoopbackAnswer> {
  const url = new URL(target);
  const host = url.host;
  url.hostname = address.includes(":") ? `[${address}]` : address;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/**
 * Writes raw bytes to the loopback server on a new TCP connection and resolves
 * with the status line's code (0 if none) and everything it sent before closing.
 */
export function sendRawToLoopback(port: number, raw: string | Buffer, address = "127.0.0.1"): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port }, () => socket.write(raw));
    let text = "";
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), text });
    });
  });
}

/**
 * Does what a browser does with Entra's redirect: requests it from the
 * loopback server and, if that answers with a redirect, follows it at once.
 */
export async function deliverLikeABrowser(redirect: URL): Promise<{ loopbackAnswer: LoopbackAnswer; finalPage?: LoopbackAnswer }> {
  const loopbackAnswer = await getFromLoopback(redirect);
  const finalPage = loopbackAnswer.location ? await getFromLoopback(loopbackAnswer.location) : undefined;
  return { loopbackAnswer, finalPage };
}

/** A string as a literal inside a RegExp. */
export function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
}

/** Parses stdout as exactly one JSON document (fails the test otherwise). */
export function jsonDocument(stdout: string): Record<string, unknown> {
  let document: unknown;
  expect(() => (document = JSON.parse(stdout)), `stdout is not one JSON document:\n${stdout}`).not.toThrow();
  expect(typeof document === "object" && document !== null && !Array.isArray(document)).toBe(true);
  return document as Record<string, unknown>;
}

/**
 * Checks a failed run: the exit code, the message and hint on stderr, and —
 * when it ran with --json — the single `{ ok: false, error }` document on
 * stdout (else stdout must be empty).
 */
export function expectFailure(result: CliResult, expected: ExpectedFailure, json: boolean): void {
  const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.code, context).toBe(expected.exitCode);
  let message: string;
  let hint: string | undefined;
  if (json) {
    const document = jsonDocument(result.stdout);
    expect(Object.keys(document).sort()).toEqual(["error", "ok"]);
    expect(document.ok).toBe(false);
    const error = document.error as Record<string, unknown>;
    expect(Object.keys(error).every((k) => ["code", "message", "hint", "aadsts"].includes(k)), context).toBe(true);
    expect(error.code, context).toBe(expected.code);
    expect(typeof error.message).toBe("string");
    message = error.message as string;
    hint = error.hint as string | undefined;
    expect(result.stderr).toContain(`✖ ${message}`);
    if (hint !== undefined) expect(result.stderr).toContain(`Next: ${hint}`);
    if (expected.aadsts !== undefined) expect(error.aadsts).toBe(expected.aadsts);
  } else {
    expect(result.stdout, context).toBe("");
    const failure = result.stderr.slice(result.stderr.lastIndexOf("✖ ") + 2);
    const next = failure.indexOf("\n  Next: ");
    message = next >= 0 ? failure.slice(0, next) : failure;
    hint = next >= 0 ? failure.slice(next + "\n  Next: ".length).split("\n")[0] : undefined;
  }
  for (const pattern of expected.message ?? []) expect(message, context).toMatch(pattern);
  for (const pattern of expected.hint ?? []) {
    expect(hint, context).toBeDefined();
    expect(hint, context).toMatch(pattern);
  }
}

/** The refresh-token secret's versions, to compare before and after a run. */
export function refreshTokenVersions(s: StandIns): Array<Pick<SecretVersion, "version" | "value" | "tags" | "enabled">> {
  return s.vault.versions(s.outputs.secretNames.refreshToken).map(({ version, value, tags, enabled }) => ({ version, value, tags, enabled }));
}

/** Fails unless the refresh-token secret has exactly the versions it had before. */
export function expectVaultUnchanged(s: StandIns, before: ReturnType<typeof refreshTokenVersions>): void {
  expect(refreshTokenVersions(s)).toEqual(before);
}

/**
 * Stores a refresh token Entra accepts, as an earlier bootstrap would have, so
 * "unchanged" is checked against a real previous version rather than absence.
 */
export function seedRefreshToken(s: StandIns): SecretVersion {
  const value = s.entra.issueRefreshToken({ tenantId: s.tenantId, clientId: s.clientId, username: s.users.admin.username, scopes: s.outputs.scopes });
  const at = new Date(Date.now() - 7 * 24 * 3600 * 1000).toISOString();
  return s.vault.setSecret(s.outputs.secretNames.refreshToken, value, {
    contentType: "application/x-refresh-token",
    expiresOn: new Date(Date.now() + 83 * 24 * 3600 * 1000),
    tags: { consentedAt: at, consentedBy: s.users.admin.username, mfa: "true", tenantId: s.tenantId, clientId: s.clientId, refreshedAt: at },
  });
}

/**
 * Writes an executable `pulumi` into a new directory: a Node script that
 * records its arguments in `args.json` and then either prints `outputs` (exit 0)
 * or prints `failure` on stderr and exits 255.
 */
export function fakePulumi(harness: BootstrapHarness, behaviour: { outputs: OutputsDocument } | { failure: string }): { binDir: string; argsFile: string } {
  const binDir = harness.newDir("bin");
  const argsFile = path.join(binDir, "args.json");
  const script = [
    `#!${process.execPath}`,
    `require("node:fs").writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));`,
    "outputs" in behaviour
      ? `process.stdout.write(${JSON.stringify(JSON.stringify(behaviour.outputs, null, 2))});`
      : `process.stderr.write(${JSON.stringify(behaviour.failure)}); process.exitCode = 255;`,
    "",
  ].join("\n");
  writeFileSync(path.join(binDir, "pulumi"), script);
  chmodSync(path.join(binDir, "pulumi"), 0o755);
  return { binDir, argsFile };
}

/**
 * The "nothing secret on screen" check ({@link leakedSecrets}) over everything
 * every command printed in this worker, with guards against passing vacuously.
 */
export function expectNoSecretOnScreen(h: BootstrapHarness, minimumRuns: number): void {
  const { s } = h;
  const screen = transcript.join("\n");
  expect(h.runs).toBeGreaterThanOrEqual(minimumRuns);
  expect(transcript.length, "transcript holds stdout and stderr of each run").toBe(h.runs * 2);
  expect(screen).toContain(s.tenantId); // the scan reads real output
  const issued = s.entra.issuedSecrets();
  expect(issued.some((t) => t.startsWith("1.A") && s.entra.isRefreshTokenValid(t)), "at least one live refresh token was issued").toBe(true);
  expect(issued.some((t) => t.startsWith("eyJ")), "access tokens were issued").toBe(true);
  const leaks = leakedSecrets(s, transcript);
  expect(leaks, `printed by the commands: ${leaks.join("; ")}`).toEqual([]);
}
