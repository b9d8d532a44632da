/**
 * What keeps the stack safe on real Azure, where the mocks' leniency does not
 * apply: protected vault, a destroy that needs no Key Vault data plane,
 * Microsoft's service principals only read, ownership independent of the
 * caller, and URNs that existing stacks already have in their state.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { definePartnerCenterSam } from "../../infra/program";
import { FAKE, RecordedResource, TYPES, World, ofType, runStack, single, stableGuid } from "./pulumi-mocks";

const LOCATION = { "azure-native:location": "westeurope" };
const PARTNER_CENTER = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const GRAPH = "00000003-0000-0000-c000-000000000000";
const ADMIN_USER = "11111111-2222-4333-8444-555555555555";
const CI = FAKE.otherDeployerObjectId;
/** Stacks deployed before certificates, which keep their client secret. */
const SECRET = { "partner-center-sam:appCredential": "secret" };

function deploy(config: Record<string, string>, world: World = {}, stack = "dev") {
  return runStack({ ...LOCATION, ...config }, () => definePartnerCenterSam(readStackConfig()), { world, stack });
}

/** Every custom resource's inputs, keyed by URN, with the stand-in's per-run randomness removed. */
function inputsByUrn(resources: readonly RecordedResource[]): Record<string, unknown> {
  return Object.fromEntries(resources.filter((r) => r.custom).map((r) => [r.urn, r.inputs]));
}

describe("no configuration change can delete the vault", () => {
  it("protects the vault and the resource group the stack creates", async () => {
    const { resources } = await deploy({});
    expect(single(resources, TYPES.vault, "vault").protect).toBe(true);
    expect(single(resources, TYPES.resourceGroup, "resource-group").protect).toBe(true);
    expect(resources.filter((r) => r.protect).map((r) => r.type).sort()).toEqual([TYPES.vault, TYPES.resourceGroup].sort());
  });

  it("lifts the protection only when protectVault is false, and warns what that means", async () => {
    const { resources, standIn } = await deploy({ "partner-center-sam:protectVault": "false" });
    expect(resources.filter((r) => r.protect)).toEqual([]);
    expect(standIn.warnings).toEqual([
      "partner-center-sam:protectVault is false: a change of partner-center-sam:keyVaultName, partner-center-sam:resourceGroupName " +
        "or azure-native:location now deletes the Key Vault, and the refresh token in it, instead of failing the update.",
    ]);
  });

  it("warns before the engine fails when the stack's resource group exists in another region", async () => {
    const { standIn } = await deploy({}, { resourceGroups: { "rg-partner-center-sam-dev": "northeurope" } });
    expect(standIn.warnings).toEqual([
      "The resource group rg-partner-center-sam-dev exists in northeurope, not in the configured azure-native:location: moving it " +
        "means replacing it and everything in it, the Key Vault included; the vault is protected, so the update will fail instead " +
        '(see the README, "Changing names or location").',
    ]);
  });

  it("says nothing when the existing group is in the configured region, however it is spelt", async () => {
    const { standIn } = await deploy({ "azure-native:location": "West Europe" }, { resourceGroups: { "rg-partner-center-sam-dev": "westeurope" } });
    expect(standIn.warnings).toEqual([]);
  });

  it("warns when the existing vault is in another region", async () => {
    const world: World = {
      vaults: { "kv-pc-prod-01": { resourceGroupName: "rg-shared", location: "northeurope", softDeleteRetentionInDays: 90, enablePurgeProtection: true } },
    };
    const { standIn } = await deploy({ "partner-center-sam:resourceGroupName": "rg-shared", "partner-center-sam:keyVaultName": "kv-pc-prod-01" }, world);
    expect(standIn.warnings).toEqual([
      "The Key Vault kv-pc-prod-01 exists in northeurope, not in the configured azure-native:location: a vault cannot move, it is " +
        'replaced; the vault is protected, so the update will fail instead (see the README, "Changing names or location").',
    ]);
  });
});

describe("softDeleteRetentionDays, which Azure cannot change after the vault exists", () => {
  const existing = (days: number): World => ({
    vaults: { "kv-pc-prod-01": { resourceGroupName: "rg-shared", location: "westeurope", softDeleteRetentionInDays: days, enablePurgeProtection: true } },
  });
  const config = { "partner-center-sam:resourceGroupName": "rg-shared", "partner-center-sam:keyVaultName": "kv-pc-prod-01" };

  it("is ignored by updates: the vault's ignoreChanges names it", async () => {
    const { resources } = await deploy({});
    expect(single(resources, TYPES.vault, "vault").ignoreChanges).toEqual(["properties.softDeleteRetentionInDays"]);
  });

  it("is still sent when the vault is created", async () => {
    const { resources } = await deploy({ "partner-center-sam:softDeleteRetentionDays": "30" });
    expect(single(resources, TYPES.vault, "vault").inputs["properties"].softDeleteRetentionInDays).toBe(30);
  });

  it("warns when the configured value differs from the existing vault's", async () => {
    const { standIn } = await deploy({ ...config, "partner-center-sam:softDeleteRetentionDays": "30" }, existing(90));
    expect(standIn.warnings).toEqual([
      "softDeleteRetentionDays cannot change once the Key Vault kv-pc-prod-01 exists: it keeps 90 days, and this update does not " +
        "send the configured value to Azure.",
    ]);
  });

  it("does not warn when they agree", async () => {
    const { standIn } = await deploy(config, existing(90));
    expect(standIn.warnings).toEqual([]);
  });

  it("and purge protection, once on, stays on: turning it off is met with a warning", async () => {
    const { standIn } = await deploy({ ...config, "partner-center-sam:purgeProtection": "false" }, existing(90));
    expect(standIn.warnings).toEqual([
      "Purge protection stays on for the Key Vault kv-pc-prod-01: Azure never turns it off, whatever purgeProtection says.",
    ]);
  });
});

describe("pulumi destroy needs no Key Vault data plane", () => {
  it("keeps the three vault secrets on delete: deleting the vault removes them", async () => {
    const { resources } = await deploy(SECRET);
    const secrets = ofType(resources, TYPES.secret);
    expect(secrets.map((s) => [s.name, s.retainOnDelete]).sort()).toEqual([
      ["clientId", true],
      ["clientSecret", true],
      ["tenantId", true],
    ]);
  });

  it("writes the secrets after every role assignment on the vault, so destroy removes the assignments last", async () => {
    const { resources } = await deploy({
      "partner-center-sam:secretReaders": JSON.stringify([ADMIN_USER]),
      "partner-center-sam:secretWriters": JSON.stringify([CI]),
    });
    const assignments = ofType(resources, TYPES.roleAssignment).map((a) => a.urn).sort();
    expect(assignments).toHaveLength(3);
    for (const secret of ofType(resources, TYPES.secret)) {
      expect([secret.name, secret.dependsOn]).toEqual([secret.name, expect.arrayContaining(assignments)]);
    }
  });

  it("never deletes a service principal it had to create for Microsoft", async () => {
    const { resources } = await deploy({}, { tenantLacks: [PARTNER_CENTER] });
    expect(single(resources, TYPES.servicePrincipal, "partner-center").retainOnDelete).toBe(true);
  });
});

describe("Microsoft's service principals", () => {
  it("are only read when the tenant has them: no resource is declared for either", async () => {
    const { resources, invokes } = await deploy({ "partner-center-sam:grantAdminConsent": "true" });
    expect(ofType(resources, TYPES.servicePrincipal).map((sp) => sp.inputs["clientId"])).not.toContain(PARTNER_CENTER);
    expect(ofType(resources, TYPES.servicePrincipal).map((sp) => sp.inputs["clientId"])).not.toContain(GRAPH);
    expect(JSON.stringify(resources.map((r) => r.inputs))).not.toContain("useExisting");
    expect(invokes.filter((i) => i.token === "azuread:index/getServicePrincipals:getServicePrincipals").map((i) => i.inputs)).toEqual([
      { clientIds: [PARTNER_CENTER], ignoreMissing: true },
      { clientIds: [GRAPH], ignoreMissing: true },
    ]);
    expect(single(resources, TYPES.grant, "partner-center-admin-consent").inputs["resourceServicePrincipalObjectId"]).toBe(
      FAKE.partnerCenterObjectId,
    );
    expect(single(resources, TYPES.grant, "microsoft-graph-admin-consent").inputs["resourceServicePrincipalObjectId"]).toBe(FAKE.graphObjectId);
  });

  it("are created once when the tenant lacks one, with today's URN, never updated afterwards and kept on delete", async () => {
    const { resources } = await deploy({ "partner-center-sam:grantAdminConsent": "true" }, { tenantLacks: [PARTNER_CENTER] });
    const created = single(resources, TYPES.servicePrincipal, "partner-center");
    expect(created.urn).toBe(
      "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/servicePrincipal:ServicePrincipal::partner-center",
    );
    expect([created.inputs, created.retainOnDelete]).toEqual([{ clientId: PARTNER_CENTER }, true]);
    expect(created.ignoreChanges).toEqual(expect.arrayContaining(["clientId", "owners", "tags", "accountEnabled", "appRoleAssignmentRequired"]));
    expect(ofType(resources, TYPES.servicePrincipal).map((sp) => sp.inputs["clientId"])).not.toContain(GRAPH);
    expect(single(resources, TYPES.grant, "partner-center-admin-consent").inputs["resourceServicePrincipalObjectId"]).toBe(created.state["objectId"]);
  });

  it("take Graph's published scope ids from the created one when the tenant lacks Graph's", async () => {
    const { resources } = await deploy({ "partner-center-sam:graphScopes": JSON.stringify(["User.Read"]) }, { tenantLacks: [GRAPH] });
    expect(single(resources, TYPES.servicePrincipal, "microsoft-graph").inputs).toEqual({ clientId: GRAPH });
    expect(single(resources, TYPES.application, "app").inputs["requiredResourceAccesses"][1].resourceAccesses).toContainEqual({
      id: FAKE.graphScopes["User.Read"],
      type: "Scope",
    });
  });
});

describe("client-secret lifetime", () => {
  it("restarts the rotation schedule when either number changes: the timer's triggers carry both", async () => {
    const { resources } = await deploy({
      ...SECRET,
      "partner-center-sam:clientSecretRotationDays": "60",
      "partner-center-sam:clientSecretGraceDays": "14",
    });
    const rotation = single(resources, TYPES.rotating, "client-secret-rotation");
    const password = single(resources, TYPES.password, "client-secret");
    expect(rotation.inputs).toEqual({ rotationDays: 60, triggers: { rotationDays: "60", graceDays: "14" } });
    expect(password.inputs["endDate"]).toBe("2025-05-14T12:00:00Z");
  });
});

describe("ownership with administrators configured", () => {
  const admins = { "partner-center-sam:administrators": JSON.stringify([ADMIN_USER, CI]) };

  it("is the same whoever runs pulumi up: a teammate's or CI's run declares identical inputs", async () => {
    const mine = await deploy(admins, { caller: FAKE.deployerObjectId });
    const ci = await deploy(admins, { caller: CI });
    expect(inputsByUrn(ci.resources)).toEqual(inputsByUrn(mine.resources));
    expect(ci.outputs).toEqual(mine.outputs);
    expect(JSON.stringify(inputsByUrn(mine.resources))).not.toContain(FAKE.deployerObjectId);
  });

  it("depends on the caller when administrators is empty (today's behaviour)", async () => {
    const mine = await deploy({}, { caller: FAKE.deployerObjectId });
    const ci = await deploy({}, { caller: CI });
    expect(inputsByUrn(ci.resources)).not.toEqual(inputsByUrn(mine.resources));
    expect(single(ci.resources, TYPES.application, "app").inputs["owners"]).toEqual([CI]);
  });

  it("makes the administrators the owners of every app registration and service principal the stack creates", async () => {
    const { resources } = await deploy({
      ...admins,
      "partner-center-sam:githubRepository": "contoso/automation",
      "partner-center-sam:githubEnvironment": "partner-center",
    });
    const owned = [...ofType(resources, TYPES.application), ...ofType(resources, TYPES.servicePrincipal)];
    expect(owned).toHaveLength(4);
    for (const resource of owned) expect([resource.urn, resource.inputs["owners"]]).toEqual([resource.urn, [ADMIN_USER, CI]]);
  });

  it("gives each administrator Key Vault Secrets Officer, the first one taking over the deployer's assignment", async () => {
    const { resources } = await deploy(admins);
    const assignments = ofType(resources, TYPES.roleAssignment);
    expect(assignments.map((a) => [a.name, a.inputs["principalId"], a.inputs["principalType"], a.aliasNames]).sort()).toEqual([
      [`administrator-${ADMIN_USER}-secrets-officer`, ADMIN_USER, "User", ["deployer-secrets-officer"]],
      [`administrator-${CI}-secrets-officer`, CI, "ServicePrincipal", []],
    ].sort());
    expect(assignments.every((a) => a.inputs["roleDefinitionId"].endsWith("/b86a8fe4-44ce-4948-aee5-eccb2c155cd7"))).toBe(true);
  });
});

describe("an existing stack updated to this program", () => {
  const before = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "urns-ddbc7d8.json"), "utf8")) as {
    defaults: string[];
    configured: string[];
  };
  const adopted = (stack: string) =>
    ["partner-center", "microsoft-graph"].map(
      (name) =>
        `urn:pulumi:${stack}::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/servicePrincipal:ServicePrincipal::${name}`,
    );
  const urns = (resources: readonly RecordedResource[]) => resources.map((r) => r.urn).sort();

  it("keeps every URN of a default stack; only the two adopted Microsoft service principals leave the program", async () => {
    const { resources } = await deploy(SECRET);
    expect(urns(resources)).toEqual(before.defaults.filter((urn) => !adopted("dev").includes(urn)));
    // They leave the state without a delete call: the old state has them retainOnDelete.
    expect(before.defaults).toEqual(expect.arrayContaining(adopted("dev")));
  });

  it("keeps every URN of a fully configured stack", async () => {
    const { resources } = await deploy(
      {
        ...SECRET,
        "partner-center-sam:resourceGroupName": "rg-shared-identity",
        "partner-center-sam:keyVaultName": "kv-pc-prod-01",
        "partner-center-sam:grantAdminConsent": "true",
        "partner-center-sam:secretReaders": JSON.stringify([ADMIN_USER]),
        "partner-center-sam:secretWriters": JSON.stringify(["33333333-4444-4555-8666-777777777777"]),
        "partner-center-sam:githubRepository": "contoso/partner-center-automation",
        "partner-center-sam:githubEnvironment": "partner-center",
      },
      {},
      "prod",
    );
    expect(urns(resources)).toEqual(before.configured.filter((urn) => !adopted("prod").includes(urn)));
  });

  it("moves the deployer's vault role to the first administrator by alias, so configuring administrators replaces no assignment of the same principal", async () => {
    const { resources } = await deploy({ "partner-center-sam:administrators": JSON.stringify([FAKE.deployerObjectId]) });
    const assignment = single(resources, TYPES.roleAssignment, `administrator-${FAKE.deployerObjectId}-secrets-officer`);
    expect(assignment.aliasNames).toEqual(["deployer-secrets-officer"]);
    expect(before.defaults).toContain(assignment.urn.replace(`administrator-${FAKE.deployerObjectId}-secrets-officer`, "deployer-secrets-officer"));
    expect(assignment.inputs["principalId"]).toBe(FAKE.deployerObjectId);
  });

  it("keeps the app's identifiers: the same URNs get the same ids", async () => {
    const { resources } = await deploy({});
    const app = single(resources, TYPES.application, "app");
    expect(app.inputs["displayName"]).toBe("Partner Center SAM (dev)");
    expect(app.state["clientId"]).toBe(stableGuid(`${app.urn}#client`));
  });
});
