/**
 * Runs a Pulumi project the way the Pulumi CLI's Node.js language host does —
 * same runner (`@pulumi/pulumi/cmd/run`), same arguments, environment and
 * working directory, derived from the project's Pulumi.yaml — with the engine
 * stand-in from pulumi-mocks.ts in place of the real engine. No Pulumi CLI and
 * no network: the child process gets the loopback-only guard.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import type { Properties, RecordedResource } from "./pulumi-mocks";

const PRELOAD = path.join(process.cwd(), "test", "infra", "pulumi-engine-preload.cjs");
const LOOPBACK_ONLY = path.join(process.cwd(), "test", "support", "loopback-only.cjs");

/** Options of {@link runPulumiProgram}. */
export interface ProgramRunOptions {
  /** Directory holding Pulumi.yaml. */
  projectDir: string;
  stack: string;
  /** Configuration on top of the project defaults and Pulumi.<stack>.yaml (fully qualified keys). */
  config?: Record<string, unknown>;
  preview?: boolean;
  /** ts-node's compile cache; a fresh one per run when omitted. */
  tsNodeCacheDir?: string;
}

/** What the run produced. */
export interface ProgramRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What the engine stand-in saw; undefined when the process died before reporting. */
  report?: { outputs: Properties; secretOutputs: string[]; resources: RecordedResource[] };
  /** Connections the loopback guard refused in the child. */
  blockedConnections: string[];
}

interface ProjectFile {
  name: string;
  main?: string;
  runtime: string | { name: string; options?: { typescript?: boolean; tsconfig?: string } };
  config?: Record<string, { default?: unknown; value?: unknown }>;
}

/** Runs the project's program once, like `pulumi up` (or `pulumi preview`) would start it. */
export function runPulumiProgram(options: ProgramRunOptions): Promise<ProgramRun> {
  const project = parse(readFileSync(path.join(options.projectDir, "Pulumi.yaml"), "utf8")) as ProjectFile;
  const runtimeOptions = typeof project.runtime === "string" ? {} : (project.runtime.options ?? {});
  const { pwd, entryPoint } = programLocation(options.projectDir, project.main);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "pulumi-run-"));
  const report = path.join(scratch, "report.json");
  const blockedLog = path.join(scratch, "blocked.log");

  const env: NodeJS.ProcessEnv = {
    ...pick(process.env, ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "SystemRoot"]),
    NODE_OPTIONS: `--require ${LOOPBACK_ONLY}`,
    PCSAM_BLOCKED_LOG: blockedLog,
    PULUMI_CONFIG: JSON.stringify(stackConfig(options.projectDir, project, options.stack, options.config ?? {})),
    PULUMI_CONFIG_SECRET_KEYS: "[]",
    TS_NODE_CACHE_DIRECTORY: options.tsNodeCacheDir ?? path.join(scratch, "ts-node"),
    STAND_IN_PROJECT: project.name,
    STAND_IN_STACK: options.stack,
    STAND_IN_PREVIEW: String(options.preview ?? false),
    STAND_IN_REPORT: report,
  };
  // As pulumi-language-nodejs: TypeScript is on unless `typescript: false`; the tsconfig path is passed as written.
  if (runtimeOptions.typescript !== false) env["PULUMI_NODEJS_TYPESCRIPT"] = "true";
  if (runtimeOptions.tsconfig) env["PULUMI_NODEJS_TSCONFIG_PATH"] = runtimeOptions.tsconfig;

  // As the language host: the runner is resolved from the program directory.
  const runner = createRequire(path.join(pwd, "index.js")).resolve("@pulumi/pulumi/cmd/run");
  const args = [
    "--require",
    PRELOAD,
    runner,
    "--monitor",
    "mock",
    "--project",
    project.name,
    "--root-directory",
    options.projectDir,
    "--stack",
    options.stack,
    "--pwd",
    pwd,
    ...(options.preview ? ["--dry-run"] : []),
    entryPoint,
  ];

  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: options.projectDir, env, timeout: 110_000 }, (error, stdout, stderr) => {
      const run: ProgramRun = {
        exitCode: error ? (typeof error.code === "number" ? error.code : 1) : 0,
        stdout,
        stderr,
        report: readJson(report),
        blockedConnections: readLines(blockedLog),
      };
      rmSync(scratch, { recursive: true, force: true });
      resolve(run);
    });
  });
}

/** Where the engine starts the program: `main`'s folder as working directory, `.` or the file as entry point. */
function programLocation(projectDir: string, main: string | undefined): { pwd: string; entryPoint: string } {
  if (!main) return { pwd: projectDir, entryPoint: "." };
  const target = path.resolve(projectDir, main);
  return statSync(target).isDirectory()
    ? { pwd: target, entryPoint: "." }
    : { pwd: path.dirname(target), entryPoint: path.basename(target) };
}

/**
 * The configuration the CLI hands the program: project defaults from
 * Pulumi.yaml, then Pulumi.<stack>.yaml, then `overrides`; keys as the
 * language host writes them (`ns:config:key`), values as text (lists as JSON).
 */
function stackConfig(
  projectDir: string,
  project: ProjectFile,
  stack: string,
  overrides: Record<string, unknown>,
): Record<string, string> {
  const defaults = Object.entries(project.config ?? {}).map(([key, decl]) => [
    key.includes(":") ? key : `${project.name}:${key}`,
    decl.value ?? decl.default,
  ]);
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const stackValues = readOptional(stackFile) ? Object.entries((parse(readOptional(stackFile) as string)?.config ?? {}) as object) : [];
  const merged = new Map<string, unknown>([...defaults, ...stackValues, ...Object.entries(overrides)] as [string, unknown][]);
  const config: Record<string, string> = {};
  for (const [key, value] of merged) {
    if (value === undefined) continue;
    const [namespace, ...name] = key.split(":");
    config[`${namespace}:config:${name.join(":")}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return config;
}

function pick(source: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((name) => source[name] !== undefined).map((name) => [name, source[name]]));
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readJson(file: string): ProgramRun["report"] {
  const text = readOptional(file);
  return text ? JSON.parse(text) : undefined;
}

function readLines(file: string): string[] {
  return (readOptional(file) ?? "").split("\n").filter(Boolean);
}
