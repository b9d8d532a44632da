/**
 * The identity of the client-secret rotation workflow (`githubDeployEnvironment`):
 * what it may do, that it owns the apps next to the administrators, and that a
 * run by it changes nothing that a run by a person would not.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "./config-problems";
import { parseStackConfig, readStackConfig } from "../../infra/config";
import { PartnerCenterSam, argsFromStackConfig, resolvePartnerCenterSamArgs } from "../../infra/partner-center-sam";
import { StackOutputs, definePartnerCenterSam } from "../../infra/program";
import { FAKE, RecordedResource, StackRun, TYPES, ofType, runStack, single, stableGuid } from "./pulumi-mocks";

const P = "partner-center-sam";
const ADMIN = "11111111-2222-4333-8444-555555555555";
const OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const GRAPH = "00000003-0000-0000-c000-000000000000";
const APPLICATION_READWRITE_ALL = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
const DIRECTORY_READ_ALL = "7ab1d382-f21e-4acd-a863-ba3e13f7da61";
const GRANTS_READWRITE_ALL = "8e8e4742-1d95-4f68-9d56-6ee75648c72a";
const GUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const roleDefinition = (id: string) => `/subscriptions/${FAKE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
const RESOURCE_GROUP_ID = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/rg-partner-center-sam-dev`;

const urn = (component: string, type: string, name: string) =>
  `urn:pulumi:dev::${P}::${P}:index:${component}$${type}::${name}`;
const DEPLOYER_PARENT = `urn:pulumi:dev::${P}::pulumi:pulumi:Stack$${P}:index:GitHubDeployer::github-deployer`;
const DEPLOYER_APP_URN = urn("GitHubDeployer", TYPES.application, "app");
const DEPLOYER_SP_URN = urn("GitHubDeployer", TYPES.servicePrincipal, "app");
const DEPLOYER_SP = stableGuid(`${DEPLOYER_SP_URN}#object`);

const CONFIG = {
  "azure-native:location": "westeurope",
  [`${P}:githubRepository`]: "contoso/partner-center-automation",
  [`${P}:githubEnvironment`]: "partner-center",
  [`${P}:githubDeployEnvironment`]: "partner-center-deploy",
  [`${P}:administrators`]: JSON.stringify([ADMIN]),
};

const byUrn = (resources: RecordedResource[], wanted: string) => resources.find((r) => r.urn === wanted);
const underDeployer = (resources: RecordedResource[]) => resources.filter((r) => r.parent === DEPLOYER_PARENT);

describe("githubDeployEnvironment, as configuration", () => {
  it("creates the rotation workflow's identity for the repository, alone or next to the refresher", () => {
    expect(parseStackConfig(CONFIG, P, "dev").githubDeployer).toEqual({
      repository: "contoso/partner-center-automation",
      environment: "partner-center-deploy",
    });
    const alone = parseStackConfig({ ...CONFIG, [`${P}:githubEnvironment`]: "" }, P, "dev");
    expect([alone.githubRefresher, alone.githubDeployer?.environment]).toEqual([undefined, "partner-center-deploy"]);
    expect(parseStackConfig({ "azure-native:location": "westeurope" }, P, "dev").githubDeployer).toBeUndefined();
  });

  it("needs githubRepository, the administrators, and an environment of its own, each reported with a fix", () => {
    expect(problemsOf({ "azure-native:location": "westeurope", [`${P}:githubDeployEnvironment`]: "deploy", [`${P}:administrators`]: `["${ADMIN}"]` })).toEqual([
      { key: `${P}:githubRepository`, rule: `must be set together with ${P}:githubDeployEnvironment`, example: "contoso/partner-center-automation" },
    ]);
    const problems = problemsOf({ ...CONFIG, [`${P}:githubDeployEnvironment`]: "partner-center", [`${P}:administrators`]: "[]" });
    expect(problems.map((p) => p.key)).toEqual([`${P}:githubDeployEnvironment`, `${P}:administrators`]);
    expect(problems[0]?.rule).toMatch(/^must differ from partner-center-sam:githubEnvironment: the identity that runs `pulumi up` is stronger/);
    expect(problems[1]?.rule).toMatch(/only owner of the app and the only vault administrator$/);
    expect(problemsOf({ ...CONFIG, [`${P}:githubDeployEnvironment`]: "deploy env" })).toEqual([
      { key: `${P}:githubDeployEnvironment`, rule: "must be a GitHub environment name of 1–255 letters, digits, `.`, `_` or `-`", example: "production" },
    ]);
  });

  it("is a component argument that round-trips with the stack configuration", () => {
    for (const values of [CONFIG, { ...CONFIG, [`${P}:githubEnvironment`]: "" }]) {
      const config = parseStackConfig(values, P, "dev");
      expect(resolvePartnerCenterSamArgs(argsFromStackConfig(config), P, "dev")).toEqual(config);
    }
  });
});

describe("the rotation workflow's identity under the mocks", () => {
  let run: StackRun<StackOutputs>;
  let resources: RecordedResource[];

  beforeAll(async () => {
    run = await runStack(CONFIG, () => definePartnerCenterSam(readStackConfig()));
    resources = run.resources;
  });

  it("is an app with a federated credential for repo:OWNER/REPO:environment:ENV and a service principal, owned by the administrators", () => {
    const app = byUrn(resources, DEPLOYER_APP_URN);
    expect([app?.parent, app?.inputs["displayName"], app?.inputs["signInAudience"], app?.inputs["owners"]]).toEqual([
      DEPLOYER_PARENT,
      "Partner Center SAM (dev) - GitHub pulumi up",
      "AzureADMyOrg",
      [ADMIN],
    ]);
    const credential = ofType(underDeployer(resources), TYPES.federatedCredential);
    expect(credential.map((c) => c.inputs)).toEqual([
      {
        applicationId: `/applications/${stableGuid(`${DEPLOYER_APP_URN}#object`)}`,
        displayName: "github-contoso-partner-center-automation-partner-center-deploy",
        description: "GitHub Actions jobs of contoso/partner-center-automation in environment partner-center-deploy (pulumi up)",
        issuer: "https://token.actions.githubusercontent.com",
        subject: "repo:contoso/partner-center-automation:environment:partner-center-deploy",
        audiences: ["api://AzureADTokenExchange"],
      },
    ]);
    expect(byUrn(resources, DEPLOYER_SP_URN)?.inputs).toEqual({ clientId: stableGuid(`${DEPLOYER_APP_URN}#client`), owners: [ADMIN] });
  });

  it("gets Contributor on the resource group, role-assignment rights on the vault for the two Key Vault roles only, and read access to the secrets for status", () => {
    const assignments = ofType(resources, TYPES.roleAssignment)
      .filter((r) => r.inputs["principalId"] === DEPLOYER_SP)
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(assignments.map((a) => [a.name, a.parent, a.inputs["scope"], a.inputs["roleDefinitionId"], a.inputs["principalType"]])).toEqual([
      ["contributor", DEPLOYER_PARENT, RESOURCE_GROUP_ID, roleDefinition(CONTRIBUTOR), "ServicePrincipal"],
      ["secrets-user", DEPLOYER_PARENT, single(resources, TYPES.vault, "vault").id, roleDefinition(SECRETS_USER), "ServicePrincipal"],
      ["vault-role-administrator", DEPLOYER_PARENT, single(resources, TYPES.vault, "vault").id, roleDefinition(RBAC_ADMINISTRATOR), "ServicePrincipal"],
    ]);
    const administrator = assignments[2];
    const condition = String(administrator?.inputs["condition"]);
    expect(administrator?.inputs["conditionVersion"]).toBe("2.0");
    expect(assignments.filter((a) => a.inputs["condition"] !== undefined)).toEqual([administrator]);
    expect(condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})");
    expect(condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})");
    expect(condition).toContain("@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals");
    expect(condition).toContain("@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals");
    expect(new Set(condition.match(GUIDS))).toEqual(new Set([OFFICER, SECRETS_USER]));
    expect(assignments.some((a) => a.inputs["roleDefinitionId"] === roleDefinition(OFFICER))).toBe(false);
  });

  it("requests the Graph application permissions pulumi up needs, and grants none itself (an admin consents)", () => {
    expect(byUrn(resources, DEPLOYER_APP_URN)?.inputs["requiredResourceAccesses"]).toEqual([
      { resourceAppId: GRAPH, resourceAccesses: [{ id: APPLICATION_READWRITE_ALL, type: "Role" }, { id: DIRECTORY_READ_ALL, type: "Role" }] },
    ]);
    expect(resources.filter((r) => /AppRoleAssignment/i.test(r.type))).toEqual([]);
    expect(ofType(resources, TYPES.grant)).toEqual([]);
  });

  it("owns the Partner Center app, the refresher and their service principals next to the administrators", () => {
    const owned = [...ofType(resources, TYPES.application), ...ofType(resources, TYPES.servicePrincipal)].filter((r) => r.parent !== DEPLOYER_PARENT);
    expect(owned.map((r) => r.urn.split("::").pop())).toEqual(["app", "app", "app", "app"]);
    for (const resource of owned) expect(resource.inputs["owners"], resource.urn).toEqual([ADMIN, DEPLOYER_SP]);
  });

  it("exports its client id, not as a secret", () => {
    expect(run.outputs["deployerClientId"]).toBe(stableGuid(`${DEPLOYER_APP_URN}#client`));
    expect(run.outputs["refresherClientId"]).not.toBe(run.outputs["deployerClientId"]);
    expect(run.secretOutputs).toEqual([]);
  });

  it("declares the same resources with the same inputs whether a person or the workflow's identity runs pulumi up", async () => {
    const asWorkflow = await runStack(CONFIG, () => definePartnerCenterSam(readStackConfig()), { world: { caller: FAKE.otherDeployerObjectId } });
    const inputs = (rs: RecordedResource[]) => rs.map((r) => [r.urn, r.inputs]);
    expect(inputs(asWorkflow.resources)).toEqual(inputs(resources));
    expect(JSON.stringify(asWorkflow.resources.map((r) => r.inputs))).not.toContain(FAKE.otherDeployerObjectId);
  });

  it("also requests DelegatedPermissionGrant.ReadWrite.All when the stack manages admin consent", async () => {
    const { resources: withConsent } = await runStack({ ...CONFIG, [`${P}:grantAdminConsent`]: "true" }, () => definePartnerCenterSam(readStackConfig()));
    expect(byUrn(withConsent, DEPLOYER_APP_URN)?.inputs["requiredResourceAccesses"][0].resourceAccesses).toEqual([
      { id: APPLICATION_READWRITE_ALL, type: "Role" },
      { id: DIRECTORY_READ_ALL, type: "Role" },
      { id: GRANTS_READWRITE_ALL, type: "Role" },
    ]);
  });

  it("is absent, with its output, when githubDeployEnvironment is not set", async () => {
    const plain = await runStack({ ...CONFIG, [`${P}:githubDeployEnvironment`]: "" }, () => definePartnerCenterSam(readStackConfig()));
    expect(plain.resources.filter((r) => r.type === TYPES.githubDeployer || r.parent.endsWith("::github-deployer"))).toEqual([]);
    expect(plain.outputs).not.toHaveProperty("deployerClientId");
    for (const app of ofType(plain.resources, TYPES.application)) expect(app.inputs["owners"], app.urn).toEqual([ADMIN]);
  });

  it("sits under the PartnerCenterSam component when a program uses that, with its client id as a property", async () => {
    const viaComponent = await runStack(CONFIG, () => {
      const sam = new PartnerCenterSam(P, argsFromStackConfig(readStackConfig()));
      return { deployerClientId: sam.deployerClientId };
    });
    const deployer = single(viaComponent.resources, TYPES.githubDeployer, "github-deployer");
    expect(deployer.parent).toBe(`urn:pulumi:dev::${P}::pulumi:pulumi:Stack$${P}:index:PartnerCenterSam::${P}`);
    expect(deployer.aliases).toEqual([]);
    expect(viaComponent.outputs["deployerClientId"]).toMatch(GUIDS);
  });
});
