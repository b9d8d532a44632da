import * as pulumi from "@pulumi/pulumi";

/**
 * One invalid configuration key: the rule it breaks and a value that would pass.
 * Deliberately not the configured value: it may have been set with `--secret`,
 * and Pulumi prints the error in clear text.
 */
export interface ConfigProblem {
  /** Fully qualified key, e.g. `partner-center-sam:keyVaultName`. */
  key: string;
  /** The rule the value breaks (naming list items by position, never by value). */
  rule: string;
  /** An example of a good value. */
  example: string;
}

/** Where the settings came from, for the error message: what they are and how to fix them. */
export interface SettingsOrigin {
  /** E.g. "stack configuration". */
  subject: string;
  /** The closing sentence: how to fix the settings. */
  fix: string;
}

/** Settings read from the stack's Pulumi configuration. */
export const STACK_CONFIGURATION: SettingsOrigin = {
  subject: "stack configuration",
  fix: "Fix them with `pulumi config set <key> <value>` (list items: `pulumi config set --path '<key>[0]' <value>`) and run `pulumi up` again.",
};

/**
 * Thrown before any resource is declared when the stack configuration (or a
 * component's arguments) is invalid. Lists every problem at once. A `RunError`, so Pulumi prints the
 * message without a stack trace.
 */
export class ConfigValidationError extends pulumi.RunError {
  /** Every invalid key, in the order the keys are read. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], origin: SettingsOrigin = STACK_CONFIGURATION) {
    super(formatProblems(problems, origin));
    this.name = "ConfigValidationError";
    this.problems = problems;
  }
}

function formatProblems(problems: readonly ConfigProblem[], origin: SettingsOrigin): string {
  const count = problems.length === 1 ? "1 invalid setting" : `${problems.length} invalid settings`;
  const lines = problems.map((p) => `  - ${p.key}: ${p.rule}. Example: ${p.example}`);
  return [
    `The ${origin.subject} has ${count}; nothing was deployed.`,
    ...lines,
    origin.fix,
  ].join("\n");
}
