import * as pulumi from "@pulumi/pulumi";

/** One invalid configuration key: what it holds, the rule it breaks and a value that would pass. */
export interface ConfigProblem {
  /** Fully qualified key, e.g. `partner-center-sam:keyVaultName`. */
  key: string;
  /** The value as configured, or `undefined` when the key is not set. */
  value: string | undefined;
  /** The rule the value breaks. */
  rule: string;
  /** An example of a good value. */
  example: string;
}

/**
 * Thrown before any resource is declared when the stack configuration is
 * invalid. Lists every problem at once. A `RunError`, so Pulumi prints the
 * message without a stack trace.
 */
export class ConfigValidationError extends pulumi.RunError {
  /** Every invalid key, in the order the keys are read. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigValidationError";
    this.problems = problems;
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? "1 invalid setting" : `${problems.length} invalid settings`;
  const lines = problems.map(
    (p) => `  - ${p.key} = ${p.value === undefined ? "(not set)" : JSON.stringify(p.value)}: ${p.rule}. Example: ${p.example}`,
  );
  return [
    `The stack configuration has ${count}; nothing was deployed.`,
    ...lines,
    "Fix them with `pulumi config set <key> <value>` (list items: `pulumi config set --path '<key>[0]' <value>`) and run `pulumi up` again.",
  ].join("\n");
}
