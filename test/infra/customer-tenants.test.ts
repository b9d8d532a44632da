/**
 * Customer tenants (GDAP): `multiTenant` and `customerGraphScopes` — what the
 * app requests and what the stack exports for the `consent` command.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "./config-problems";
import { configWarnings, parseStackConfig, readStackConfig } from "../../infra/config";
import { resolveDelegatedScopes } from "../../infra/graph-scopes";
import { PartnerCenterSam, argsFromStackConfig, resolvePartnerCenterSamArgs } from "../../infra/partner-center-sam";
import { StackOutputs, definePartnerCenterSam } from "../../infra/program";
import { FAKE, RecordedResource, StackRun, TYPES, ofType, runStack, single } from "./pulumi-mocks";

const P = "partner-center-sam";
const LOCATION = { "azure-native:location": "westeurope" };
const ADMIN = "11111111-2222-4333-8444-555555555555";
const GRAPH = "00000003-0000-0000-c000-000000000000";
const PARTNER_CENTER = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const APP_URN = `urn:pulumi:dev::${P}::${P}:index:PartnerCenterApp$${TYPES.application}::app`;
const scope = (name: string) => ({ id: FAKE.graphScopes[name], type: "Scope" });

const partnerCenterApp = (resources: RecordedResource[]) => resources.find((r) => r.urn === APP_URN) as RecordedResource;
const graphAccess = (app: RecordedResource) =>
  (app.inputs["requiredResourceAccesses"] as { resourceAppId: string; resourceAccesses: unknown[] }[]).find((a) => a.resourceAppId === GRAPH)?.resourceAccesses;

describe("customer-tenant settings, as configuration", () => {
  it("default to a single-tenant app with no customer permissions", () => {
    const config = parseStackConfig(LOCATION, P, "dev");
    expect([config.multiTenant, config.customerGraphScopes]).toEqual([false, []]);
  });

  it("take a boolean and a list of scope names, checked like graphScopes, items named by position", () => {
    const config = parseStackConfig(
      { ...LOCATION, [`${P}:multiTenant`]: "true", [`${P}:customerGraphScopes`]: '["User.Read","DelegatedAdminRelationship.Read.All","User.Read"]' },
      P,
      "dev",
    );
    expect([config.multiTenant, config.customerGraphScopes]).toEqual([true, ["User.Read", "DelegatedAdminRelationship.Read.All"]]);
    expect(problemsOf({ ...LOCATION, [`${P}:multiTenant`]: "yes", [`${P}:customerGraphScopes`]: '["User.Read","https://graph.microsoft.com/.default"]' })).toEqual([
      { key: `${P}:multiTenant`, rule: "must be true or false", example: "true" },
      {
        key: `${P}:customerGraphScopes`,
        rule: "must be a list of Microsoft Graph delegated scope names; item 1 is not a scope name",
        example: '["Directory.Read.All","User.Read.All"]',
      },
    ]);
    expect(problemsOf({ ...LOCATION, [`${P}:customerGraphScopes`]: "User.Read" })[0]?.rule).toBe("must be a list of Microsoft Graph delegated scope names");
  });

  it("warn when customer scopes are configured for a single-tenant app, which no customer tenant can consent", () => {
    const single = parseStackConfig({ ...LOCATION, [`${P}:customerGraphScopes`]: '["User.Read"]' }, P, "dev");
    expect(configWarnings(single).filter((w) => w.includes("customerGraphScopes"))).toEqual([
      `${P}:customerGraphScopes is set but ${P}:multiTenant is false: a single-tenant app cannot be consented in customer tenants, ` +
        "so these permissions are only requested, never usable there. Set multiTenant to true to use them.",
    ]);
    const multi = parseStackConfig({ ...LOCATION, [`${P}:multiTenant`]: "true", [`${P}:customerGraphScopes`]: '["User.Read"]' }, P, "dev");
    expect(configWarnings(multi).filter((w) => w.includes("customerGraphScopes"))).toEqual([]);
  });

  it("are component arguments that round-trip with the stack configuration", () => {
    const config = parseStackConfig({ ...LOCATION, [`${P}:multiTenant`]: "true", [`${P}:customerGraphScopes`]: '["User.Read"]' }, P, "dev");
    expect(resolvePartnerCenterSamArgs(argsFromStackConfig(config), P, "dev")).toEqual(config);
    expect(resolvePartnerCenterSamArgs({ location: "westeurope", multiTenant: true, customerGraphScopes: ["User.Read"] }, P, "dev")).toMatchObject({
      multiTenant: true,
      customerGraphScopes: ["User.Read"],
    });
  });

  it("name customerGraphScopes when Microsoft Graph publishes no such scope", () => {
    expect(() => resolveDelegatedScopes(FAKE.graphScopes, ["User.Reed"], "Microsoft Graph", "customerGraphScopes")).toThrow(
      `Microsoft Graph publishes no delegated permission named "User.Reed" in this tenant. Check the spelling ` +
        `(names are case-sensitive, e.g. "DelegatedAdminRelationship.ReadWrite.All") in ${P}:customerGraphScopes.`,
    );
  });
});

describe("a multi-tenant stack with customer scopes, under the mocks", () => {
  const CONFIG = {
    ...LOCATION,
    [`${P}:multiTenant`]: "true",
    [`${P}:graphScopes`]: '["User.Read"]',
    [`${P}:customerGraphScopes`]: '["DelegatedAdminRelationship.Read.All","User.Read","openid"]',
    [`${P}:grantAdminConsent`]: "true",
    [`${P}:administrators`]: JSON.stringify([ADMIN]),
    [`${P}:githubRepository`]: "contoso/automation",
    [`${P}:githubEnvironment`]: "partner-center",
    [`${P}:githubDeployEnvironment`]: "partner-center-deploy",
  };
  let run: StackRun<StackOutputs>;

  beforeAll(async () => {
    run = await runStack(CONFIG, () => definePartnerCenterSam(readStackConfig()));
  });

  it("makes the Partner Center app multi-tenant (AzureADMultipleOrgs), and only that app", () => {
    expect(partnerCenterApp(run.resources).inputs["signInAudience"]).toBe("AzureADMultipleOrgs");
    const others = ofType(run.resources, TYPES.application).filter((r) => r.urn !== APP_URN);
    expect(others.map((r) => r.inputs["signInAudience"])).toEqual(["AzureADMyOrg", "AzureADMyOrg"]);
  });

  it("requests the customer scopes from Microsoft Graph after its own, each permission once", () => {
    const app = partnerCenterApp(run.resources);
    expect(graphAccess(app)).toEqual([scope("openid"), scope("profile"), scope("offline_access"), scope("User.Read"), scope("DelegatedAdminRelationship.Read.All")]);
    expect((app.inputs["requiredResourceAccesses"] as { resourceAppId: string }[]).map((a) => a.resourceAppId)).toEqual([PARTNER_CENTER, GRAPH]);
  });

  it("grants the customer scopes nowhere in the partner's tenant: admin consent there stays the app's own scopes", () => {
    expect(single(run.resources, TYPES.grant, "microsoft-graph-admin-consent").inputs["claimValues"]).toEqual(["openid", "profile", "offline_access", "User.Read"]);
  });

  it("exports multiTenant and customerGraphScopes, as configured and not secret, for the consent command", () => {
    expect(run.outputs["multiTenant"]).toBe(true);
    expect(run.outputs["customerGraphScopes"]).toEqual(["DelegatedAdminRelationship.Read.All", "User.Read", "openid"]);
    expect(run.secretOutputs).toEqual([]);
  });

  it("offers both as component properties", async () => {
    const { outputs } = await runStack({}, () => {
      const sam = new PartnerCenterSam(P, { location: "westeurope", multiTenant: true, customerGraphScopes: ["User.Read"] });
      return { multiTenant: sam.multiTenant, customerGraphScopes: sam.customerGraphScopes };
    });
    expect(outputs).toEqual({ multiTenant: true, customerGraphScopes: ["User.Read"] });
  });
});

describe("a stack without customer-tenant settings", () => {
  it("keeps the single-tenant app and the Graph permissions it had", async () => {
    const { resources, outputs } = await runStack({ ...LOCATION, [`${P}:graphScopes`]: '["User.Read"]' }, () => definePartnerCenterSam(readStackConfig()));
    const app = partnerCenterApp(resources);
    expect(app.inputs["signInAudience"]).toBe("AzureADMyOrg");
    expect(graphAccess(app)).toEqual([scope("openid"), scope("profile"), scope("offline_access"), scope("User.Read")]);
    expect([outputs["multiTenant"], outputs["customerGraphScopes"]]).toEqual([false, []]);
  });
});
