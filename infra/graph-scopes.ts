import { applyError } from "./run-error";

/** A delegated permission: its published name (`value`) and id. */
export interface DelegatedScope {
  name: string;
  id: string;
}

/**
 * Resolves delegated scope names to the ids a service principal publishes
 * (its `oauth2PermissionScopeIds`, name → id). Fails naming every unknown scope.
 */
export function resolveDelegatedScopes(
  published: Readonly<Record<string, string>>,
  names: readonly string[],
  resourceName: string,
  setting = "graphScopes",
): DelegatedScope[] {
  const unknown = names.filter((name) => !Object.prototype.hasOwnProperty.call(published, name));
  if (unknown.length > 0) {
    throw applyError(
      `${resourceName} publishes no delegated permission named ${unknown.map((n) => JSON.stringify(n)).join(", ")} ` +
        `in this tenant. Check the spelling (names are case-sensitive, e.g. "DelegatedAdminRelationship.ReadWrite.All") ` +
        `in partner-center-sam:${setting}.`,
    );
  }
  return names.map((name) => ({ name, id: published[name] as string }));
}
