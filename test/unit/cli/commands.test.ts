/**
 * Every command has the GitHub CLI's shape: `xCommand(runF)` declares and
 * validates the flags and hands one options struct to `runF`. These tests pass
 * their own `runF`, so they see exactly what a command would run with.
 */
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { bootstrapCommand, type BootstrapCommandOptions } from "../../../bootstrap/src/cli/bootstrap";
import { refreshCommand, type RefreshCommandOptions } from "../../../bootstrap/src/cli/refresh";
import { configureCommand, runProgram } from "../../../bootstrap/src/cli/run-command";
import { statusCommand, type StatusCommandOptions } from "../../../bootstrap/src/cli/status";
import { tokenCommand, type TokenCommandOptions } from "../../../bootstrap/src/cli/token";
import { ExitCode } from "../../../bootstrap/src/core/errors";

const VAULT = "https://kv-unit.vault.azure.net/";

/** Runs `partner-center-sam <args>` with `command` as the only subcommand; returns the exit code and what `runF` got. */
async function run<O>(factory: (runF: (options: O) => Promise<number>) => Command, args: string[], env: Record<string, string> = {}): Promise<{ code: number; options?: O }> {
  let received: O | undefined;
  const program = configureCommand(new Command("partner-center-sam"), "0.0.0-test");
  program.addCommand(configureCommand(factory(async (options) => ((received = options), ExitCode.Ok)), "0.0.0-test"));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runProgram(program, ["node", "partner-center-sam", ...args]);
    return { code, options: received };
  } finally {
    stderr.mockRestore();
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

describe("the commands' options structs", () => {
  it("token: scopes in order, the tenant, the vault and the wait defaults", async () => {
    const { code, options } = await run<TokenCommandOptions>(tokenCommand, ["token", "--vault-uri", VAULT, "--scope", "graph", "--scope", "api://app/.default", "--tenant", "contoso.onmicrosoft.com"]);
    expect(code).toBe(0);
    expect(options).toMatchObject({
      source: { vaultUri: VAULT },
      scopes: ["graph", "api://app/.default"],
      tenantId: "contoso.onmicrosoft.com",
      accessWaitMs: 60_000,
      timeoutMs: 120_000,
      json: false,
    });
    expect(options?.progress).toBe(options?.reporter);
  });

  it("token: a bad --scope and a bad --tenant are reported together, exit 2, and nothing runs", async () => {
    const { code, options } = await run<TokenCommandOptions>(tokenCommand, ["token", "--scope", "User.Read", "--tenant", "-"]);
    expect(code).toBe(ExitCode.Usage);
    expect(options).toBeUndefined();
  });

  it("refresh: AZURE_AUTHORITY_HOST through commander's env support, --no-verify, seconds to milliseconds", async () => {
    const { options } = await run<RefreshCommandOptions>(refreshCommand, ["refresh", "--outputs", "o.json", "--no-verify", "--timeout", "30", "--access-wait", "0"], { AZURE_AUTHORITY_HOST: "https://login.env.test/" });
    expect(options).toMatchObject({ source: { outputsFile: "o.json", authorityHost: "https://login.env.test" }, verify: false, timeoutMs: 30_000, accessWaitMs: 0 });
    expect(options?.signal).toBeInstanceOf(AbortSignal);
  });

  it("status: --warn-days, --probe and its own wait defaults", async () => {
    const { options } = await run<StatusCommandOptions>(statusCommand, ["status", "--vault-uri", VAULT, "--warn-days", "30", "--probe", "--json"]);
    expect(options).toMatchObject({ warnDays: 30, probe: true, json: true, accessWaitMs: 0, timeoutMs: 60_000 });
  });

  it("bootstrap: --no-browser, --login-hint and the sign-in timeout's own bounds", async () => {
    const ok = await run<BootstrapCommandOptions>(bootstrapCommand, ["bootstrap", "--stack", "dev", "--no-browser", "--login-hint", "admin@contoso.example"]);
    expect(ok.options).toMatchObject({ source: { stack: "dev" }, noBrowser: true, loginHint: "admin@contoso.example", timeoutMs: 300_000, accessWaitMs: 600_000 });
    const tooShort = await run<BootstrapCommandOptions>(bootstrapCommand, ["bootstrap", "--timeout", "5"]);
    expect([tooShort.code, tooShort.options]).toEqual([ExitCode.Usage, undefined]);
  });
});
