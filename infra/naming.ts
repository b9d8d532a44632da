/**
 * Names and tags derived from the project and stack. Pure functions, so the
 * same stack always gets the same names and `pulumi up` never renames anything.
 */

/** Length of the random suffix that makes a derived Key Vault name globally unique. */
export const KEY_VAULT_SUFFIX_LENGTH = 6;

const KEY_VAULT_NAME_MAX_LENGTH = 24;

/** The resource group created when `resourceGroupName` is not set: `rg-<project>-<stack>`. */
export function defaultResourceGroupName(project: string, stack: string): string {
  return `rg-${project}-${stack}`;
}

/** The app registration's display name when `appDisplayName` is not set. */
export function defaultAppDisplayName(stack: string): string {
  return `Partner Center SAM (${stack})`;
}

/**
 * The stable part of a derived Key Vault name, e.g. `pcsam-dev` for project
 * `partner-center-sam` and stack `dev`. Together with `-` and the random suffix
 * it always satisfies the vault name rule (3–24 characters, starts with a
 * letter, letters/digits/hyphens, no `--`).
 */
export function keyVaultNamePrefix(project: string, stack: string): string {
  const words = project.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  let abbreviation = words.length > 1 ? words.slice(0, -1).map((w) => w[0]).join("") + words[words.length - 1] : (words[0] ?? "");
  abbreviation = abbreviation.slice(0, 8);
  if (!/^[a-z]/.test(abbreviation)) abbreviation = `kv${abbreviation}`.slice(0, 8);
  const room = KEY_VAULT_NAME_MAX_LENGTH - abbreviation.length - 2 - KEY_VAULT_SUFFIX_LENGTH;
  const stackPart = slug(stack).slice(0, room).replace(/-+$/, "");
  return stackPart ? `${abbreviation}-${stackPart}` : abbreviation;
}

/** Tags put on every Azure resource the stack creates. */
export function stackTags(project: string, stack: string): Record<string, string> {
  return { project, stack, "managed-by": "pulumi" };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}
