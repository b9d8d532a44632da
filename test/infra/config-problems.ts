/** The problems `parseStackConfig` reports for some stack config, for the configuration tests. */
import { type ConfigProblem, ConfigValidationError } from "../../infra/config-error";
import { parseStackConfig } from "../../infra/config";

/** The project name the tests' config keys are namespaced with. */
export const PROJECT = "partner-center-sam";

/** Every problem `parseStackConfig` finds in `values` (keys without the project prefix), or [] when it accepts them. */
export function problemsOf(values: Record<string, string>): ConfigProblem[] {
  try {
    parseStackConfig(values, PROJECT, "dev");
  } catch (error) {
    if (error instanceof ConfigValidationError) return [...error.problems];
    throw error;
  }
  return [];
}
