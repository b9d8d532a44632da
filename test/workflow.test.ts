/**
 * The scheduled refresh workflow: valid YAML with the triggers, permissions
 * and sign-in the README describes, and calling only commands, scripts and
 * options that exist.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli, type CliName } from "./support/run-cli";

const WORKFLOW = path.join(process.cwd(), ".github", "workflows", "refresh-partner-center-token.yml");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}

interface Workflow {
  on: { schedule?: Array<{ cron: string }>; workflow_dispatch?: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[]; env?: Record<string, string> }>;
}

let workflow: Workflow;
let steps: Step[];
let scripts: Record<string, string>;

beforeAll(() => {
  workflow = parse(readFileSync(WORKFLOW, "utf8")) as Workflow;
  steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  scripts = (JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
});

/** The shell lines of every `run:` step. */
const runLines = () => steps.flatMap((step) => (step.run ?? "").split("\n").map((line) => line.trim()).filter(Boolean));

/** Lines that run `npm run [--silent] <script> [-- args]` (not mentions in messages): the script and the arguments after `--`. */
function npmRuns(): Array<{ script: string; args: string[] }> {
  return runLines().flatMap((line) => {
    const match = /^npm run(?: --?[a-z-]+)* ([a-z:-]+)(?: -- (.*))?/.exec(line);
    return match ? [{ script: match[1], args: (match[2] ?? "").split(/\s+/).filter(Boolean) }] : [];
  });
}

/** True for a cron field that is one value in [min, max]. */
const single = (field: string, min: number, max: number) => /^\d+$/.test(field) && Number(field) >= min && Number(field) <= max;

describe("the refresh workflow", () => {
  it("runs weekly on a valid cron schedule and on demand", () => {
    expect(workflow.on.schedule).toHaveLength(1);
    const fields = workflow.on.schedule![0].cron.trim().split(/\s+/);
    expect(fields).toHaveLength(5);
    const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
    expect(single(minute, 0, 59)).toBe(true);
    expect(single(hour, 0, 23)).toBe(true);
    expect([dayOfMonth, month]).toEqual(["*", "*"]);
    expect(single(dayOfWeek, 0, 6)).toBe(true);
    expect(workflow.on).toHaveProperty("workflow_dispatch");
  });

  it("may request an OIDC token and does not ask for more than reading the repository", () => {
    expect(workflow.permissions).toEqual({ "id-token": "write", contents: "read" });
  });

  it("signs in with azure/login through OIDC, with a client id and tenant id and no stored secret", () => {
    const login = steps.filter((step) => step.uses?.startsWith("azure/login@"));
    expect(login).toHaveLength(1);
    expect(login[0].with).toHaveProperty("client-id");
    expect(login[0].with).toHaveProperty("tenant-id");
    expect(login[0].with).not.toHaveProperty("client-secret");
    expect(login[0].with).not.toHaveProperty("creds");
    expect(JSON.stringify(workflow)).not.toMatch(/secrets\./);
  });

  it("installs with `npm ci` before it refreshes", () => {
    const lines = runLines();
    const install = lines.indexOf("npm ci");
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(lines.findIndex((line) => /npm run .*refresh/.test(line)));
  });

  it("runs refresh and then status, both with --vault-uri", () => {
    expect(npmRuns().map((r) => [r.script, r.args[0]])).toEqual([
      ["refresh", "--vault-uri"],
      ["status", "--vault-uri"],
    ]);
  });

  it("names only scripts that package.json defines", () => {
    expect(npmRuns().length).toBeGreaterThan(0);
    for (const { script } of npmRuns()) expect(Object.keys(scripts)).toContain(script);
  });

  it("passes only options the commands' --help lists", async () => {
    const commands = npmRuns().filter((r): r is { script: CliName; args: string[] } => r.script === "refresh" || r.script === "status");
    expect(commands).toHaveLength(2);
    for (const { script, args } of commands) {
      const help = await runCli(script, ["--help"], process.env);
      expect(help.code).toBe(0);
      const flags = args.filter((arg) => arg.startsWith("--"));
      expect(flags.length).toBeGreaterThan(0);
      for (const flag of flags) expect(help.stdout, `${script} --help lists ${flag}`).toMatch(new RegExp(`(^|\\s)${flag}[ ,<]`, "m"));
    }
  });

  it.each([
    ["refresh", 3, true],
    ["refresh", 1, false],
    ["refresh", 0, false],
    ["status", 3, true],
    ["status", 0, false],
  ] as const)("passes %s's exit code %i through, with an ::error annotation only for 3", (script, code, annotated) => {
    const step = steps.find((candidate) => new RegExp(`npm run .*${script}`).test(candidate.run ?? ""));
    expect(step?.run).toBeDefined();
    // GitHub runs `run:` steps with `bash --noprofile --norc -eo pipefail`; `npm` is stubbed to exit with `code`.
    const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", `npm() { return ${code}; }\n${step!.run}`], {
      env: { PATH: process.env.PATH, KEY_VAULT_URI: "https://kv-name.vault.azure.net/" },
      encoding: "utf8",
    });

    expect(result.status).toBe(code);
    expect(result.stdout.includes("::error")).toBe(annotated);
    if (annotated && script === "refresh") expect(result.stdout).toContain("npm run bootstrap");
  });

  it("reports the secrets' health even when the refresh failed", () => {
    const statusStep = steps.find((step) => /npm run .*status/.test(step.run ?? ""));
    expect(statusStep?.if).toBe("always()");
    expect(statusStep?.run).toMatch(/exit "\$code"\s*$/);
  });
});
