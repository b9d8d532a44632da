import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { PartnerCenterApp } from "../../infra/partner-center-app";
import { StackOutputs, definePartnerCenterSam } from "../../infra/program";
import { FAKE, PulumiStandIn, RecordedResource, StackRun, TYPES, ofType, runStack, sentAsSecret, single, stableGuid, valueOf } from "./pulumi-mocks";

const STACK = "urn:pulumi:dev::partner-center-sam::pulumi:pulumi:Stack::partner-center-sam-dev";
const KEY_VAULT = "urn:pulumi:dev::partner-center-sam::pulumi:pulumi:Stack$partner-center-sam:index:KeyVault::key-vault";
const APP_COMPONENT =
  "urn:pulumi:dev::partner-center-sam::pulumi:pulumi:Stack$partner-center-sam:index:PartnerCenterApp::partner-center-app";
const VAULT_SECRETS =
  "urn:pulumi:dev::partner-center-sam::pulumi:pulumi:Stack$partner-center-sam:index:VaultSecrets::vault-secrets";
const APP_URN = "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/application:Application::app";
const APP_SP_URN =
  "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/servicePrincipal:ServicePrincipal::app";
const PASSWORD_URN =
  "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/applicationPassword:ApplicationPassword::client-secret";

// What the stand-in hands out for this stack: ids derive from the URNs, as fresh ids would.
const CLIENT_ID = stableGuid(`${APP_URN}#client`);
const APP_OBJECT_ID = stableGuid(`${APP_URN}#object`);
const APP_SP_OBJECT_ID = stableGuid(`${APP_SP_URN}#object`);
const OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const TAGS = { project: "partner-center-sam", stack: "dev", "managed-by": "pulumi" };

describe("a stack with azure-native:location set and appCredential: secret (the client secret, as before certificates)", () => {
  let run: StackRun<StackOutputs> & { standIn: PulumiStandIn };
  let resources: RecordedResource[];
  let vaultName: string;

  beforeAll(async () => {
    run = await runStack({ "azure-native:location": "westeurope", "partner-center-sam:appCredential": "secret" }, () => definePartnerCenterSam(readStackConfig()));
    resources = run.resources;
    vaultName = single(resources, TYPES.vault, "vault").inputs["vaultName"];
  });

  it("groups the resources into components under the stack", () => {
    const components = resources.filter((r) => !r.custom && r.type !== TYPES.stack);
    expect(components.map((c) => [c.type, c.name, c.parent])).toEqual([
      [TYPES.keyVault, "key-vault", STACK],
      [TYPES.partnerCenterApp, "partner-center-app", STACK],
      [TYPES.vaultSecrets, "vault-secrets", STACK],
    ]);
    const parents = Object.fromEntries(resources.filter((r) => r.custom).map((r) => [`${r.type}::${r.name}`, r.parent]));
    expect(parents).toEqual({
      [`${TYPES.resourceGroup}::resource-group`]: KEY_VAULT,
      [`${TYPES.randomString}::key-vault-name-suffix`]: KEY_VAULT,
      [`${TYPES.vault}::vault`]: KEY_VAULT,
      [`${TYPES.roleAssignment}::deployer-secrets-officer`]: KEY_VAULT,
      [`${TYPES.application}::app`]: APP_COMPONENT,
      [`${TYPES.servicePrincipal}::app`]: APP_COMPONENT,
      [`${TYPES.rotating}::client-secret-rotation`]: APP_COMPONENT,
      [`${TYPES.password}::client-secret`]: APP_COMPONENT,
      [`${TYPES.secret}::clientId`]: VAULT_SECRETS,
      [`${TYPES.secret}::tenantId`]: VAULT_SECRETS,
      [`${TYPES.secret}::clientSecret`]: VAULT_SECRETS,
    });
  });

  it("creates the resource group rg-<project>-<stack> in the configured region, tagged", () => {
    const group = single(resources, TYPES.resourceGroup, "resource-group");
    expect(group.inputs).toEqual({ resourceGroupName: "rg-partner-center-sam-dev", location: "westeurope", tags: TAGS });
  });

  it("names the vault from project and stack plus a six-character random suffix that lives in the stack state", () => {
    const suffix = single(resources, TYPES.randomString, "key-vault-name-suffix");
    expect(suffix.inputs).toEqual({ length: 6, lower: true, numeric: true, upper: false, special: false });
    expect(vaultName).toBe(`pcsam-dev-${suffix.state["result"]}`);
    expect(vaultName).toMatch(/^pcsam-dev-[a-z0-9]{6}$/);
  });

  it("creates a standard Key Vault with RBAC, soft delete for 90 days, purge protection and an open firewall", () => {
    const vault = single(resources, TYPES.vault, "vault");
    expect(vault.inputs).toEqual({
      vaultName,
      resourceGroupName: "rg-partner-center-sam-dev",
      location: "westeurope",
      tags: TAGS,
      properties: {
        tenantId: FAKE.tenantId,
        sku: { family: "A", name: "standard" },
        enableRbacAuthorization: true,
        accessPolicies: [],
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow", ipRules: [] },
        // azure-native's own defaults, sent as they are:
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        publicNetworkAccess: "enabled",
      },
    });
  });

  it("gives only the deploying identity Key Vault Secrets Officer on the vault", () => {
    const assignments = ofType(resources, TYPES.roleAssignment);
    expect(assignments.map((a) => a.name)).toEqual(["deployer-secrets-officer"]);
    expect(assignments[0]?.inputs).toEqual({
      scope: `/subscriptions/${FAKE.subscriptionId}/resourceGroups/rg-partner-center-sam-dev/providers/Microsoft.KeyVault/vaults/${vaultName}`,
      roleDefinitionId: `/subscriptions/${FAKE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${OFFICER}`,
      principalId: FAKE.deployerObjectId,
      principalType: "User",
    });
  });

  it("registers a single-tenant app owned by the deployer with the loopback redirect URI and only delegated permissions", () => {
    const app = single(resources, TYPES.application, "app");
    expect(app.inputs).toEqual({
      displayName: "Partner Center SAM (dev)",
      signInAudience: "AzureADMyOrg",
      owners: [FAKE.deployerObjectId],
      web: { redirectUris: ["http://localhost:8400/"] },
      requiredResourceAccesses: [
        {
          resourceAppId: "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
          resourceAccesses: [{ id: "1cebfa2a-fb4d-419e-b5f9-839b4383e05a", type: "Scope" }],
        },
        {
          resourceAppId: "00000003-0000-0000-c000-000000000000",
          resourceAccesses: [
            { id: "37f7f235-527c-4136-accd-4a02d197296e", type: "Scope" },
            { id: "14dad69e-099b-42c9-810b-d002981feec1", type: "Scope" },
            { id: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", type: "Scope" },
          ],
        },
      ],
    });
  });

  it("reads the Partner Center and Graph service principals with data sources and declares only the app's own", () => {
    const servicePrincipals = ofType(resources, TYPES.servicePrincipal);
    expect(servicePrincipals.map((sp) => [sp.urn, sp.inputs, sp.retainOnDelete])).toEqual([
      [APP_SP_URN, { clientId: CLIENT_ID, owners: [FAKE.deployerObjectId] }, false],
    ]);
    const lookups = run.invokes.filter((i) => i.token.startsWith("azuread:index/getServicePrincipal"));
    expect(lookups.map((i) => [i.token, i.inputs]).sort()).toEqual(
      [
        ["azuread:index/getServicePrincipals:getServicePrincipals", { clientIds: ["fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"], ignoreMissing: true }],
        ["azuread:index/getServicePrincipals:getServicePrincipals", { clientIds: ["00000003-0000-0000-c000-000000000000"], ignoreMissing: true }],
        ["azuread:index/getServicePrincipal:getServicePrincipal", { objectId: FAKE.partnerCenterObjectId }],
        ["azuread:index/getServicePrincipal:getServicePrincipal", { objectId: FAKE.graphObjectId }],
      ].sort(),
    );
  });

  it("grants no admin consent unless asked to", () => {
    expect(ofType(resources, TYPES.grant)).toEqual([]);
  });

  it("replaces the password when the rotation timer's id changes, creating the new one before deleting the old", () => {
    const rotation = single(resources, TYPES.rotating, "client-secret-rotation");
    const password = single(resources, TYPES.password, "client-secret");
    expect(rotation.inputs).toEqual({ rotationDays: 150, triggers: { rotationDays: "150", graceDays: "30" } });
    expect(rotation.id).toBe(FAKE.now);
    expect(password.inputs["rotateWhenChanged"]).toEqual({ rotation: rotation.id });
    expect(password.urn).toBe(PASSWORD_URN);
    expect(password.inputs["applicationId"]).toBe(`/applications/${APP_OBJECT_ID}`);
    expect(password.inputs["displayName"]).toBe("Managed by Pulumi; rotates every 150 days");
    expect([password.deleteBeforeReplaceDefined, password.deleteBeforeReplace]).toEqual([true, false]);
  });

  it("rotates every 150 days and ends the password's validity 30 days later: 180 days, within common tenant policies", () => {
    const rotation = single(resources, TYPES.rotating, "client-secret-rotation");
    const password = single(resources, TYPES.password, "client-secret");
    expect(rotation.state["rotationRfc3339"]).toBe("2025-07-29T12:00:00Z");
    expect(password.inputs["endDate"]).toBe("2025-08-28T12:00:00Z");
    expect((Date.parse(password.inputs["endDate"]) - Date.parse(FAKE.now)) / 86_400_000).toBe(180);
  });

  it("has the engine keep the password value secret", () => {
    const password = single(resources, TYPES.password, "client-secret");
    expect(password.additionalSecretOutputs).toContain("value");
  });

  it("writes the client id, tenant id and client secret into the vault as secret values", () => {
    const secrets = ofType(resources, TYPES.secret);
    const password = single(resources, TYPES.password, "client-secret");
    const common = { resourceGroupName: "rg-partner-center-sam-dev", vaultName, tags: TAGS };
    const byName = Object.fromEntries(
      secrets.map((s) => [s.name, { inputs: s.inputs, valueIsSecret: sentAsSecret(s, "properties.value") }]),
    );
    expect(byName).toEqual({
      clientId: {
        inputs: {
          ...common,
          secretName: "partnercenter-client-id",
          properties: { value: CLIENT_ID, contentType: "application/x-client-id", attributes: { enabled: true } },
        },
        valueIsSecret: true,
      },
      tenantId: {
        inputs: {
          ...common,
          secretName: "partnercenter-tenant-id",
          properties: { value: FAKE.tenantId, contentType: "application/x-tenant-id", attributes: { enabled: true } },
        },
        valueIsSecret: true,
      },
      clientSecret: {
        inputs: {
          ...common,
          secretName: "partnercenter-client-secret",
          properties: {
            value: password.state["value"],
            contentType: "application/x-client-secret",
            attributes: { enabled: true, expires: Date.parse("2025-08-28T12:00:00Z") / 1000 },
          },
        },
        valueIsSecret: true,
      },
    });
    expect(password.state["value"]).toMatch(/^pw~/);
  });

  it("never declares a resource for the refresh-token secret", () => {
    for (const resource of resources) {
      expect(JSON.stringify(resource.inputs)).not.toContain("refresh-token");
    }
    expect(ofType(resources, TYPES.secret).map((s) => s.inputs["secretName"])).not.toContain("partnercenter-refresh-token");
  });

  it("exports the outputs the bootstrap reads, with their values", () => {
    expect(run.outputs).toEqual({
      tenantId: FAKE.tenantId,
      clientId: CLIENT_ID,
      applicationObjectId: APP_OBJECT_ID,
      servicePrincipalObjectId: APP_SP_OBJECT_ID,
      redirectUri: "http://localhost:8400/",
      keyVaultName: vaultName,
      keyVaultUri: `https://${vaultName}.vault.azure.net/`,
      secretNames: {
        clientId: "partnercenter-client-id",
        clientSecret: "partnercenter-client-secret",
        tenantId: "partnercenter-tenant-id",
        refreshToken: "partnercenter-refresh-token",
      },
      scopes: ["https://api.partnercenter.microsoft.com/user_impersonation"],
      authorityHost: "https://login.microsoftonline.com",
      partnerCenterEndpoint: "https://api.partnercenter.microsoft.com",
      graphEndpoint: "https://graph.microsoft.com",
      clientSecretExpiresAt: "2025-08-28T12:00:00Z",
      adminConsentUrl: `https://login.microsoftonline.com/${FAKE.tenantId}/adminconsent?client_id=${CLIENT_ID}`,
      multiTenant: false,
      customerGraphScopes: [],
      customerInclude: [],
      customerExclude: [],
      gdapRoles: [],
    });
  });

  it("exports no secret: neither on the wire nor as a secret Output", async () => {
    expect(run.secretOutputs).toEqual([]);
    for (const [name, value] of Object.entries(run.returned)) {
      if (pulumi.Output.isInstance(value)) expect([name, await pulumi.isSecret(value)]).toEqual([name, false]);
    }
  });

  it("reads the deploying identity, Microsoft's service principals and what already exists in Azure, and nothing else", () => {
    expect(run.invokes.map((i) => i.token).sort()).toEqual([
      "azure-native:authorization:getClientConfig",
      "azure-native:keyvault:getVault",
      "azure-native:resources:getResourceGroup",
      "azuread:index/getClientConfig:getClientConfig",
      "azuread:index/getDirectoryObject:getDirectoryObject",
      "azuread:index/getServicePrincipal:getServicePrincipal",
      "azuread:index/getServicePrincipal:getServicePrincipal",
      "azuread:index/getServicePrincipals:getServicePrincipals",
      "azuread:index/getServicePrincipals:getServicePrincipals",
    ]);
  });

  it("logs no warning for a first deployment with the defaults", () => {
    expect(run.standIn.warnings).toEqual([]);
  });
});

describe("the PartnerCenterApp component", () => {
  it("hands out the client secret as a Pulumi secret and its end date in the clear", async () => {
    const { returned: app } = await runStack({}, () =>
      new PartnerCenterApp("partner-center-app", {
        displayName: "Partner Center SAM (test)",
        redirectUri: "http://localhost:8400/",
        owners: [FAKE.deployerObjectId],
        graphScopes: [],
        grantAdminConsent: false,
        appCredential: "secret",
        clientSecretRotationDays: 1,
        clientSecretGraceDays: 30,
      }),
    );
    expect(await pulumi.isSecret(app.clientSecret!)).toBe(true);
    expect(await valueOf(app.clientSecret!)).toMatch(/^pw~/);
    expect(await pulumi.isSecret(app.clientSecretExpiresAt!)).toBe(false);
    expect(await valueOf(app.clientSecretExpiresAt!)).toBe("2025-04-01T12:00:00Z");
  });
});
