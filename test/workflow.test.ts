/**
 * The scheduled workflows and the Pulumi ESC example: valid YAML with the
 * triggers, permissions and sign-in the README describes, calling only
 * commands, scripts and options that exist, on current action versions.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_SECRET_NAMES } from "../bootstrap/src/core/contract";
import { NOTIFY_ENV, NOTIFY_SECRET_ENV } from "../bootstrap/src/notify/targets";
import { runCli, type CliName } from "./support/run-cli";

const root = process.cwd();
const WORKFLOWS = path.join(root, ".github", "workflows");

/** The current major version of each action the workflows use (Node 24 runtimes). */
const CURRENT_MAJORS: Record<string, number> = {
  "actions/checkout": 7,
  "actions/setup-node": 7,
  "azure/login": 3,
  "pulumi/actions": 7,
};

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}

interface Workflow {
  on: { schedule?: Array<{ cron: string }>; workflow_dispatch?: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[]; env?: Record<string, string>; environment?: string }>;
}

interface Loaded {
  workflow: Workflow;
  steps: Step[];
  text: string;
}

function load(file: string): Loaded {
  const text = readFileSync(path.join(WORKFLOWS, file), "utf8");
  const workflow = parse(text) as Workflow;
  return { workflow, text, steps: Object.values(workflow.jobs).flatMap((job) => job.steps) };
}

const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The shell lines of every `run:` step. */
const runLines = (steps: Step[]) => steps.flatMap((step) => (step.run ?? "").split("\n").map((line) => line.trim()).filter(Boolean));

/** Lines that run `npm run [--silent] <script> [-- args]` (not mentions in messages): the script and the arguments after `--`. */
function npmRuns(steps: Step[]): Array<{ script: string; args: string[] }> {
  return runLines(steps).flatMap((line) => {
    const match = /^npm run(?: --?[a-z-]+)* ([a-z:-]+)(?: -- (.*))?/.exec(line);
    return match ? [{ script: match[1], args: (match[2] ?? "").split(/\s+/).filter(Boolean) }] : [];
  });
}

/** True for a cron field that is one value in [min, max]. */
const single = (field: string, min: number, max: number) => /^\d+$/.test(field) && Number(field) >= min && Number(field) <= max;

const cronFields = (w: Workflow) => {
  expect(w.on.schedule).toHaveLength(1);
  const fields = w.on.schedule![0].cron.trim().split(/\s+/);
  expect(fields).toHaveLength(5);
  return fields;
};

/** Index of the first step matching `test`, failing when there is none. */
function indexOf(steps: Step[], what: string, test: (step: Step) => boolean): number {
  const index = steps.findIndex(test);
  expect(index, `a step that ${what}`).toBeGreaterThanOrEqual(0);
  return index;
}

/** Runs a step's script as GitHub does (`bash --noprofile --norc -eo pipefail`) with `npm` stubbed to exit with `code`. */
function runWithNpmExiting(step: Step, code: number) {
  return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", `npm() { return ${code}; }\n${step.run}`], {
    env: { PATH: process.env.PATH, KEY_VAULT_URI: "https://kv-name.vault.azure.net/" },
    encoding: "utf8",
  });
}

/** The checks both workflows share. */
function commonChecks(get: () => Loaded) {
  it("may request an OIDC token and does not ask for more than reading the repository", () => {
    expect(get().workflow.permissions).toEqual({ "id-token": "write", contents: "read" });
  });

  it("uses the current major version of every action, and Node 24", () => {
    const { steps } = get();
    const used = steps.filter((step) => step.uses).map((step) => step.uses!.split("@") as [string, string]);
    expect(used.length).toBeGreaterThan(2);
    for (const [action, ref] of used) {
      expect(Object.keys(CURRENT_MAJORS), `${action} is a known action`).toContain(action);
      expect(ref, `${action}@${ref}`).toBe(`v${CURRENT_MAJORS[action]}`);
    }
    const setupNode = steps.filter((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(setupNode).toHaveLength(1);
    expect(setupNode[0].with?.["node-version"]).toBe(24);
  });

  it("signs in with azure/login through OIDC, with a client id and tenant id and no stored Azure secret", () => {
    const { steps, text } = get();
    const login = steps.filter((step) => step.uses?.startsWith("azure/login@"));
    expect(login).toHaveLength(1);
    expect(login[0].with).toHaveProperty("client-id");
    expect(login[0].with).toHaveProperty("tenant-id");
    expect(login[0].with).not.toHaveProperty("client-secret");
    expect(login[0].with).not.toHaveProperty("creds");
    expect(text).not.toMatch(/ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|AZURE_CREDENTIALS/);
  });

  it("names only scripts that package.json defines", () => {
    const runs = npmRuns(get().steps);
    expect(runs.length).toBeGreaterThan(0);
    for (const { script } of runs) expect(Object.keys(scripts)).toContain(script);
  });

  it("passes only options the commands' --help lists", async () => {
    const commands = npmRuns(get().steps).filter((r): r is { script: CliName; args: string[] } => r.script === "refresh" || r.script === "status");
    expect(commands.length).toBeGreaterThan(0);
    for (const { script, args } of commands) {
      const help = await runCli(script, ["--help"], process.env);
      expect(help.code).toBe(0);
      const flags = args.filter((arg) => arg.startsWith("--"));
      expect(flags.length).toBeGreaterThan(0);
      for (const flag of flags) expect(help.stdout, `${script} --help lists ${flag}`).toMatch(new RegExp(`(^|\\s)${flag}[ ,<]`, "m"));
    }
  });

  it.each([
    [3, true],
    [1, false],
    [0, false],
  ])("passes status's exit code %i through, with an ::error annotation only for 3", (code, annotated) => {
    const step = get().steps.find((candidate) => /npm run .*status/.test(candidate.run ?? ""));
    expect(step?.run).toBeDefined();
    const result = runWithNpmExiting(step!, code);
    expect(result.status).toBe(code);
    expect(result.stdout.includes("::error")).toBe(annotated);
  });
}

describe("the refresh workflow", () => {
  let loaded: Loaded;
  beforeAll(() => {
    loaded = load("refresh-partner-center-token.yml");
  });

  commonChecks(() => loaded);

  it("runs weekly on a valid cron schedule and on demand", () => {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = cronFields(loaded.workflow);
    expect(single(minute, 0, 59)).toBe(true);
    expect(single(hour, 0, 23)).toBe(true);
    expect([dayOfMonth, month]).toEqual(["*", "*"]);
    expect(single(dayOfWeek, 0, 6)).toBe(true);
    expect(loaded.workflow.on).toHaveProperty("workflow_dispatch");
  });

  it("stores no Azure or Partner Center secret in GitHub: only the optional notification targets and their signing key", () => {
    const named = [...loaded.text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
    expect([...new Set(named)].sort()).toEqual(["PARTNER_CENTER_SAM_NOTIFY", "PARTNER_CENTER_SAM_NOTIFY_SECRET"]);
  });

  it("passes the notification secrets to refresh and status under the names the commands read", () => {
    expect(loaded.workflow.jobs.refresh!.env).toMatchObject({
      PARTNER_CENTER_SAM_NOTIFY: "${{ secrets.PARTNER_CENTER_SAM_NOTIFY }}",
      PARTNER_CENTER_SAM_NOTIFY_SECRET: "${{ secrets.PARTNER_CENTER_SAM_NOTIFY_SECRET }}",
    });
    expect([NOTIFY_ENV, NOTIFY_SECRET_ENV]).toEqual(["PARTNER_CENTER_SAM_NOTIFY", "PARTNER_CENTER_SAM_NOTIFY_SECRET"]);
    expect(loaded.text).toContain("docs/notifications.md");
  });

  it("installs only the runtime dependencies and builds the commands with a separately installed TypeScript, before it refreshes", () => {
    const lines = runLines(loaded.steps);
    const install = lines.findIndex((line) => /^npm ci\b/.test(line));
    expect(lines[install]).toMatch(/^npm ci --omit=dev --ignore-scripts\b/);
    expect(lines.filter((line) => /^npm (ci|install)\b/.test(line) && !/--omit=dev|--prefix/.test(line))).toEqual([]);
    const build = lines.findIndex((line) => /\btsc" -p bootstrap\b/.test(line));
    expect(build).toBeGreaterThan(install);
    expect(build).toBeLessThan(lines.findIndex((line) => /npm run .*refresh/.test(line)));
    expect(lines.some((line) => /GITHUB_STEP_SUMMARY/.test(line) && /SECONDS/.test(line))).toBe(true);
  });

  it("runs refresh and then status, both with --vault-uri", () => {
    expect(npmRuns(loaded.steps).map((r) => [r.script, r.args[0]])).toEqual([
      ["refresh", "--vault-uri"],
      ["status", "--vault-uri"],
    ]);
  });

  it.each([
    [3, true],
    [1, false],
    [0, false],
  ])("passes refresh's exit code %i through, with an ::error annotation naming the bootstrap only for 3", (code, annotated) => {
    const step = loaded.steps.find((candidate) => /npm run .*refresh/.test(candidate.run ?? ""));
    const result = runWithNpmExiting(step!, code);
    expect(result.status).toBe(code);
    expect(result.stdout.includes("::error")).toBe(annotated);
    if (annotated) expect(result.stdout).toContain("npm run bootstrap");
  });

  it("reports the secrets' health even when the refresh failed", () => {
    const statusStep = loaded.steps.find((step) => /npm run .*status/.test(step.run ?? ""));
    expect(statusStep?.if).toBe("always()");
    expect(statusStep?.run).toMatch(/exit "\$code"\s*$/);
  });
});

describe("the client-secret rotation workflow", () => {
  let loaded: Loaded;
  let job: Workflow["jobs"][string];
  beforeAll(() => {
    loaded = load("rotate-client-secret.yml");
    job = Object.values(loaded.workflow.jobs)[0];
  });

  commonChecks(() => loaded);

  it("runs monthly on a valid cron schedule (a day every month has) and on demand", () => {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = cronFields(loaded.workflow);
    expect(single(minute, 0, 59)).toBe(true);
    expect(single(hour, 0, 23)).toBe(true);
    expect(single(dayOfMonth, 1, 28)).toBe(true);
    expect([month, dayOfWeek]).toEqual(["*", "*"]);
    expect(loaded.workflow.on).toHaveProperty("workflow_dispatch");
  });

  it("runs in its own GitHub environment, apart from the refresher's narrower identity", () => {
    expect(Object.keys(loaded.workflow.jobs)).toHaveLength(1);
    expect(job.environment).toBeTruthy();
    expect(job.environment).not.toBe(load("refresh-partner-center-token.yml").workflow.jobs.refresh.environment);
  });

  it("gives the Azure providers the workflow's OIDC token and the deploy identity from variables", () => {
    expect(job.env).toMatchObject({
      ARM_USE_OIDC: "true",
      ARM_CLIENT_ID: "${{ vars.AZURE_CLIENT_ID }}",
      ARM_TENANT_ID: "${{ vars.AZURE_TENANT_ID }}",
      ARM_SUBSCRIPTION_ID: "${{ vars.AZURE_SUBSCRIPTION_ID }}",
    });
    const login = loaded.steps.find((step) => step.uses?.startsWith("azure/login@"));
    expect(login?.with).toMatchObject({ "client-id": "${{ vars.AZURE_CLIENT_ID }}", "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}" });
  });

  it("reads only the Pulumi backend's credentials and the optional notification targets from GitHub secrets", () => {
    const named = [...loaded.text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]).sort();
    expect([...new Set(named)]).toEqual(["PARTNER_CENTER_SAM_NOTIFY", "PARTNER_CENTER_SAM_NOTIFY_SECRET", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"]);
    expect(JSON.stringify(job.env)).not.toContain("PARTNER_CENTER_SAM_NOTIFY");
  });

  it("installs the Pulumi program with `npm ci`, then runs `pulumi up` through pulumi/actions for the configured stack and backend, refreshing first", () => {
    const install = indexOf(loaded.steps, "runs npm ci", (step) => /^\s*npm ci\b/m.test(step.run ?? ""));
    expect(loaded.steps[install].run).not.toMatch(/--omit=dev|--ignore-scripts/); // the program needs the Pulumi packages
    const up = indexOf(loaded.steps, "uses pulumi/actions", (step) => Boolean(step.uses?.startsWith("pulumi/actions@")));
    expect(up).toBeGreaterThan(install);
    expect(loaded.steps[up].with).toMatchObject({
      command: "up",
      "stack-name": "${{ vars.PULUMI_STACK }}",
      "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
      refresh: true,
    });
    expect(loaded.steps[up].id).toBe("up");
  });

  it("then runs status against the vault the update reports, even when up failed after reporting it", () => {
    const up = loaded.steps.findIndex((step) => step.id === "up");
    const status = indexOf(loaded.steps, "runs npm run status", (step) => /npm run .*status/.test(step.run ?? ""));
    expect(status).toBeGreaterThan(up);
    expect(npmRuns(loaded.steps).map((r) => [r.script, ...r.args])).toEqual([["status", "--vault-uri", '"$KEY_VAULT_URI"']]);
    expect(loaded.steps[status].env).toEqual({
      KEY_VAULT_URI: "${{ steps.up.outputs.keyVaultUri }}",
      PARTNER_CENTER_SAM_NOTIFY: "${{ secrets.PARTNER_CENTER_SAM_NOTIFY }}",
      PARTNER_CENTER_SAM_NOTIFY_SECRET: "${{ secrets.PARTNER_CENTER_SAM_NOTIFY_SECRET }}",
    });
    expect(loaded.steps[status].if).toMatch(/^always\(\)/);
    expect(loaded.steps[status].run).toMatch(/exit "\$code"\s*$/);
  });

  it("runs in the environment the stack creates its identity for (githubDeployEnvironment), with that identity's client id", () => {
    const example = /^\s*#?\s*partner-center-sam:githubDeployEnvironment:\s*(\S+)\s*$/m.exec(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8"));
    expect(example?.[1]).toBe(job.environment);
    expect(loaded.text).toContain(`githubDeployEnvironment=${job.environment}`);
    expect(loaded.text).toMatch(/AZURE_CLIENT_ID\s+= the stack output deployerClientId/);
    const program = readFileSync(path.join(root, "infra", "program.ts"), "utf8");
    expect(program).toMatch(/^\s+deployerClientId\?:/m);
  });

  it("the stack exports the keyVaultUri output the status step reads", () => {
    const program = readFileSync(path.join(root, "infra", "program.ts"), "utf8");
    expect(program).toMatch(/^\s+keyVaultUri\??:/m);
  });
});

describe("the Pulumi ESC environment example", () => {
  interface Environment {
    values: Record<string, unknown> & {
      azure: { login: Record<string, Record<string, unknown>> };
      environmentVariables: Record<string, string>;
      pulumiConfig: Record<string, string>;
    };
  }
  let env: Environment;
  let secrets: { login: string; vault: string; get: Record<string, { name: string }> };

  beforeAll(() => {
    env = parse(readFileSync(path.join(root, "esc", "partner-center-sam.yaml"), "utf8")) as Environment;
    const found = findKey(env.values, "fn::open::azure-secrets");
    expect(found).toHaveLength(1);
    secrets = found[0] as typeof secrets;
  });

  /** Every object stored under `key`, anywhere below `node`. */
  function findKey(node: unknown, key: string): unknown[] {
    if (!node || typeof node !== "object") return [];
    return Object.entries(node).flatMap(([k, v]) => (k === key ? [v] : findKey(v, key)));
  }

  /** Whether `${a.b.c}` names something the environment defines (provider outputs included). */
  function resolves(reference: string): boolean {
    const LOGIN_OUTPUTS = ["clientId", "tenantId", "subscriptionId", "oidc"];
    let node: unknown = env.values;
    for (const part of reference.split(".")) {
      if (!node || typeof node !== "object") return false;
      const here = node as Record<string, unknown>;
      if (here["fn::open::azure-login"]) node = Object.fromEntries(LOGIN_OUTPUTS.map((k) => [k, true]));
      else if (here["fn::open::azure-secrets"]) node = (here["fn::open::azure-secrets"] as { get: object }).get;
      node = (node as Record<string, unknown>)[part];
    }
    return node !== undefined;
  }

  it("signs in to Azure through OIDC, with no client secret", () => {
    const login = env.values.azure.login["fn::open::azure-login"];
    expect(login).toMatchObject({ oidc: true });
    for (const key of ["clientId", "tenantId", "subscriptionId"]) expect(login[key]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(login).not.toHaveProperty("clientSecret");
  });

  it("opens the vault's four secrets, under the names the stack gives them by default, with that login", () => {
    expect(secrets.login).toBe("${azure.login}");
    expect(secrets.vault).toMatch(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
    // The default stack's names: the certificate, no client secret (appCredential: certificate).
    const { clientSecret: _secret, ...names } = DEFAULT_SECRET_NAMES;
    void _secret;
    expect(Object.fromEntries(Object.entries(secrets.get).map(([key, value]) => [key, value.name]))).toEqual(names);
  });

  it("exports the app's credentials and the vault URI, but not the refresh token (it must be written back on every use)", () => {
    const vars = env.values.environmentVariables;
    expect(Object.keys(vars).sort()).toEqual(["KEY_VAULT_URI", "PARTNER_CENTER_CLIENT_CERTIFICATE", "PARTNER_CENTER_CLIENT_ID", "PARTNER_CENTER_TENANT_ID"]);
    expect(JSON.stringify({ vars, config: env.values.pulumiConfig })).not.toMatch(/refreshToken/);
  });

  it("refers only to values it defines", () => {
    const references = [...JSON.stringify(env.values).matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]);
    expect(references.length).toBeGreaterThan(5);
    expect(references.filter((reference) => !resolves(reference))).toEqual([]);
    expect(resolves("partnerCenter.secrets.nope")).toBe(false);
  });
});
