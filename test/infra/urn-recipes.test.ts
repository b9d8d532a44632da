/**
 * The URNs the docs give (docs/urn-recipes.md) and the `pulumi import` file of
 * the adoption path (docs/migrating.md) are the ones a real engine gives this
 * program: checked against the parent chain the program really declares
 * (test/infra/urns.ts), not against the mock monitor's URN format.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { PARTNER_CENTER_SAM_TYPE, PartnerCenterSam, argsFromStackConfig } from "../../infra/partner-center-sam";
import { RecordedResource, TYPES, runStack } from "./pulumi-mocks";
import { STACK_TYPE, composeUrn, engineUrnOf, engineUrns } from "./urns";

const P = "partner-center-sam";
const CONFIG = { "azure-native:location": "westeurope", [`${P}:grantAdminConsent`]: "true" };
const doc = (name: string) => readFileSync(path.join(process.cwd(), "docs", name), "utf8");
const AZUREAD_VERSION = (JSON.parse(readFileSync(path.join(process.cwd(), "node_modules", "@pulumi", "azuread", "package.json"), "utf8")) as { version: string }).version;
const GRANT = "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant";

let resources: RecordedResource[];
/** The same stack with `appCredential: secret` (a client secret instead of the default certificate). */
let secretResources: RecordedResource[];
let secretOutputs: string[];
/** Every URN the engine gives this program's resources, with either credential (and grantAdminConsent, so the grants exist). */
let real: Set<string>;

beforeAll(async () => {
  const run = await runStack(CONFIG, () => new PartnerCenterSam(P, argsFromStackConfig(readStackConfig())).outputs);
  const withSecret = await runStack({ ...CONFIG, [`${P}:appCredential`]: "secret" }, () => new PartnerCenterSam(P, argsFromStackConfig(readStackConfig())).outputs);
  resources = run.resources;
  secretResources = withSecret.resources;
  secretOutputs = [...run.secretOutputs, ...withSecret.secretOutputs];
  real = new Set([...engineUrns(resources).values(), ...engineUrns(secretResources).values()]);
});

/** A recorded resource, as far as the URN derivation reads one. */
const recorded = (type: string, name: string, urn: string, parent: string) => ({ type, name, urn, parent }) as RecordedResource;

describe("the URNs a real engine gives this program", () => {
  it("are composed from the whole parent chain, without the stack's type", () => {
    const stack = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev";
    // Mock-style URNs: only the last parent type, as Pulumi's mock monitor builds them.
    const outer = recorded("x:index:Outer", "outer", "urn:pulumi:dev::proj::x:index:Outer::outer", stack);
    const inner = recorded("x:index:Inner", "inner", "urn:pulumi:dev::proj::x:index:Outer$x:index:Inner::inner", outer.urn);
    const leaf = recorded("y:index/z:Z", "leaf", "urn:pulumi:dev::proj::x:index:Inner$y:index/z:Z::leaf", inner.urn);
    const urns = engineUrns([outer, inner, leaf]);
    expect(urns.get(leaf)).toBe("urn:pulumi:dev::proj::x:index:Outer$x:index:Inner$y:index/z:Z::leaf");
    expect(urns.get(outer)).toBe("urn:pulumi:dev::proj::x:index:Outer::outer");
    expect(composeUrn("s", "p", [STACK_TYPE, "a:b:C"], "d:e:F", "n")).toBe("urn:pulumi:s::p::a:b:C$d:e:F::n");
  });

  it("give the app registration the PartnerCenterSam and PartnerCenterApp types, which the mock's own URN lacks", () => {
    const app = engineUrnOf(resources, TYPES.application, "app");
    expect(app).toBe(`urn:pulumi:dev::${P}::${PARTNER_CENTER_SAM_TYPE}$${TYPES.partnerCenterApp}$${TYPES.application}::app`);
    const mockUrn = resources.find((r) => r.type === TYPES.application && r.name === "app")!.urn;
    expect(mockUrn).not.toBe(app);
    for (const urn of real) expect(urn).not.toContain(`${STACK_TYPE}$`);
  });
});

describe("docs/urn-recipes.md", () => {
  const text = doc("urn-recipes.md");
  // Every concrete URN (the format line `urn:pulumi:<stack>::<project>::…` is not one).
  const urns = [...text.matchAll(/urn:pulumi:[^\s'"`]+/g)].map((m) => m[0]).filter((urn) => !urn.includes("<"));

  it("starts with `pulumi stack --show-urns`, before any URN", () => {
    expect(text.indexOf("pulumi stack --show-urns")).toBeGreaterThan(-1);
    expect(text.indexOf("pulumi stack --show-urns")).toBeLessThan(text.indexOf("urn:pulumi:"));
  });

  it("gives only URNs a real engine gives this program: rotate now, the password, the grants, the vault-name suffix", () => {
    expect(urns.length).toBeGreaterThanOrEqual(7);
    expect(urns.filter((urn) => !real.has(urn))).toEqual([]);
    for (const [type, name] of [
      [TYPES.rotating, "client-secret-rotation"],
      [TYPES.password, "client-secret"],
      [TYPES.randomString, "key-vault-name-suffix"],
      [TYPES.partnerCenterApp, "partner-center-app"],
      [GRANT, "partner-center-admin-consent"],
      [GRANT, "microsoft-graph-admin-consent"],
    ]) {
      const recordedStack = type === TYPES.password ? secretResources : resources;
      expect(urns, `${type}::${name}`).toContain(engineUrnOf(recordedStack, type!, name!));
    }
  });

  it("imports each grant under the PartnerCenterApp component with the name the program gives it", () => {
    const parent = /PARENT='([^']+)'/.exec(text)?.[1];
    expect(parent).toBe(engineUrnOf(resources, TYPES.partnerCenterApp, "partner-center-app"));
    const imports = [...text.matchAll(/pulumi import "\$GRANT" (\S+) \/oauth2PermissionGrants\/\S.* --parent "\w+=\$PARENT"/g)].map((m) => m[1]!);
    expect(imports).toEqual(["partner-center-admin-consent", "microsoft-graph-admin-consent"]);
    expect(/GRANT='([^']+)'/.exec(text)?.[1]).toBe(GRANT);
    const parentType = parent!.split("::")[2]!;
    for (const name of imports) expect(real).toContain(`urn:pulumi:dev::${P}::${parentType}$${GRANT}::${name}`);
  });

  it("is right that no stack output is a secret today, so --show-secrets reveals nothing secret", () => {
    expect(text).toContain("the test checks that none is\na secret today");
    expect(secretOutputs).toEqual([]);
  });
});

describe("every page of docs/", () => {
  it("names only URNs a real engine gives this program (copy recipes from docs/urn-recipes.md)", () => {
    const pages = readdirSync(path.join(process.cwd(), "docs")).filter((name) => name.endsWith(".md"));
    expect(pages).toContain("urn-recipes.md");
    const wrong = pages.flatMap((name) =>
      [...doc(name).matchAll(/urn:pulumi:[^\s'"`]+/g)]
        .map((m) => m[0].replace("<stack>", "dev"))
        .filter((urn) => !urn.includes("<") && !real.has(urn))
        .map((urn) => `docs/${name}: ${urn}`),
    );
    expect(wrong).toEqual([]);
  });
});

interface ImportEntry {
  type: string;
  name: string;
  logicalName?: string;
  id?: string;
  parent?: string;
  component?: boolean;
  version?: string;
}

describe("the pulumi import file of docs/migrating.md", () => {
  const block = /```json\n([\s\S]*?)\n```/.exec(doc("migrating.md"))?.[1];
  const entries = (JSON.parse(block ?? "{}") as { resources?: ImportEntry[] }).resources ?? [];
  const byName = new Map(entries.map((e) => [e.name, e]));

  /** The URN the engine gives an entry of the file: its parents in the file, outermost first. */
  function urnOf(entry: ImportEntry): string {
    const ancestors: string[] = [];
    for (let parent = entry.parent; parent !== undefined; parent = byName.get(parent)?.parent) {
      const found = byName.get(parent);
      if (!found) throw new Error(`${entry.name}: parent ${parent} is not in the file`);
      ancestors.unshift(found.type);
    }
    return composeUrn("dev", P, ancestors, entry.type, entry.logicalName ?? entry.name);
  }

  it("puts the app, its service principal and both consent grants where the program declares them", () => {
    expect(entries.map((e) => e.logicalName ?? e.name)).toEqual(["partner-center-sam", "partner-center-app", "app", "app", "partner-center-admin-consent", "microsoft-graph-admin-consent"]);
    expect(entries.map(urnOf).filter((urn) => !real.has(urn))).toEqual([]);
    expect(urnOf(byName.get("application")!)).toBe(engineUrnOf(resources, TYPES.application, "app"));
    expect(urnOf(byName.get("servicePrincipal")!)).toBe(engineUrnOf(resources, TYPES.servicePrincipal, "app"));
  });

  it("creates only the two component parents and imports the rest by the ids the azuread provider takes", () => {
    expect(entries.filter((e) => e.component).map((e) => e.type)).toEqual([PARTNER_CENTER_SAM_TYPE, TYPES.partnerCenterApp]);
    const idPrefix: Record<string, string> = { [TYPES.application]: "/applications/", [TYPES.servicePrincipal]: "/servicePrincipals/", [GRANT]: "/oauth2PermissionGrants/" };
    for (const entry of entries.filter((e) => !e.component)) {
      expect(entry.id, entry.name).toMatch(new RegExp(`^${idPrefix[entry.type]}<[^>]+>$`));
      expect(entry.version, entry.name).toBe(AZUREAD_VERSION);
    }
  });
});

describe("what adopting an app registration leaves alone (docs/migrating.md)", () => {
  it("declares no password on the app, so the app's existing client secrets stay; the stack's own credential is a separate, rotating certificate (or password)", () => {
    for (const recordedStack of [resources, secretResources]) {
      const app = recordedStack.find((r) => r.type === TYPES.application && r.name === "app")!;
      expect(Object.keys(app.inputs)).not.toContain("password");
    }
    expect(resources.filter((r) => r.type === TYPES.password)).toEqual([]);
    expect(resources.filter((r) => r.type === TYPES.certificate)).toHaveLength(1);
    const password = secretResources.find((r) => r.type === TYPES.password && r.name === "client-secret")!;
    expect(password.inputs["displayName"]).toMatch(/^Managed by Pulumi; rotates every \d+ days$/);
    expect(doc("migrating.md")).toContain('named "Managed by Pulumi; rotates every N days"');
  });
});
