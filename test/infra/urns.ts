/**
 * The URNs a real Pulumi engine gives this program's resources, derived from
 * the parent chain each resource was declared with — not from the mock
 * monitor's URNs, which are built differently.
 *
 * A real engine's URN is `urn:pulumi:<stack>::<project>::<qualified type>::<name>`,
 * where the qualified type is the parent's qualified type, `$`, and the
 * resource's own type; a resource directly under the stack has its own type
 * alone (the stack's `pulumi:pulumi:Stack` is never part of a child's type).
 * So a resource three components deep carries all three types:
 * `…::A$B$C$azuread:index/application:Application::app`. (The Go SDK's
 * `sdk/go/common/resource/urn` package: "urn:pulumi:<Stack>::<Project>::<Qualified$Type$Name>::<Name>";
 * the Node SDK's `createUrn` in `@pulumi/pulumi/resource.js`: the parent URN's
 * qualified type, `$`, the type — with no prefix under the `pulumi:pulumi:Stack`.)
 *
 * Pulumi's mock monitor (`@pulumi/pulumi/runtime/mocks.js` `newUrn`) keeps only
 * the LAST type of the parent's URN, and the SDK's own `createUrn` would prefix
 * the stack's type when the mock's stack URN is the parent — so the mock's URNs
 * (`…::PartnerCenterApp$…::app`, `…::pulumi:pulumi:Stack$…`) are not what
 * `pulumi stack --show-urns` prints. Each recorded resource's `parent`, though, is
 * the program's real parent chain: that is what this module follows.
 */
import type { RecordedResource } from "./pulumi-mocks";

/** The stack resource's type, never part of a child's qualified type. */
export const STACK_TYPE = "pulumi:pulumi:Stack";

/** A real engine's URN for a resource whose ancestors (outermost first, the stack excluded) have `ancestorTypes`. */
export function composeUrn(stack: string, project: string, ancestorTypes: readonly string[], type: string, name: string): string {
  const qualified = [...ancestorTypes.filter((t) => t !== STACK_TYPE), type].join("$");
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The stack and project a recorded (mock) URN names. */
function stackAndProject(urn: string): { stack: string; project: string } {
  const match = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  if (!match) throw new Error(`not a Pulumi URN: ${urn}`);
  return { stack: match[1]!, project: match[2]! };
}

/**
 * The real engine's URN of every recorded resource, by the resource: the types
 * of its ancestors are found by following `parent` through the recorded resources
 * until the stack (or a parent that was not recorded, which is the stack).
 */
export function engineUrns(resources: readonly RecordedResource[]): Map<RecordedResource, string> {
  const byMockUrn = new Map<string, RecordedResource>();
  for (const resource of resources) {
    // The mock's URNs drop all but one parent type: two resources could share one. Then the chain would be ambiguous.
    if (byMockUrn.has(resource.urn)) throw new Error(`two recorded resources share the mock URN ${resource.urn}; the parent chain is ambiguous`);
    byMockUrn.set(resource.urn, resource);
  }
  const result = new Map<RecordedResource, string>();
  for (const resource of resources) {
    if (resource.type === STACK_TYPE) continue;
    const ancestors: string[] = [];
    const seen = new Set<string>();
    for (let parent = byMockUrn.get(resource.parent); parent && parent.type !== STACK_TYPE; parent = byMockUrn.get(parent.parent)) {
      if (seen.has(parent.urn)) throw new Error(`parent cycle at ${parent.urn}`);
      seen.add(parent.urn);
      ancestors.unshift(parent.type);
    }
    const { stack, project } = stackAndProject(resource.urn);
    result.set(resource, composeUrn(stack, project, ancestors, resource.type, resource.name));
  }
  return result;
}

/** The real engine's URN of the one recorded resource of `type` named `name`. */
export function engineUrnOf(resources: readonly RecordedResource[], type: string, name: string): string {
  const matches = [...engineUrns(resources)].filter(([r]) => r.type === type && r.name === name);
  if (matches.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${matches.length}`);
  return matches[0]![1];
}
