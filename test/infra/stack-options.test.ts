import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { StackOutputs, definePartnerCenterSam } from "../../infra/program";
import { FAKE, RecordedResource, StackRun, TYPES, ofType, runStack, sentAsSecret, single, stableGuid } from "./pulumi-mocks";

const READER_USER = "11111111-2222-4333-8444-555555555555";
const READER_GROUP = "22222222-3333-4444-8555-666666666666";
const WRITER_SERVICE_PRINCIPAL = "33333333-4444-4555-8666-777777777777";
const OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const USER = "4633458b-17de-408a-b874-0445c86b69e6";
const VAULT_ID = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/rg-shared-identity/providers/Microsoft.KeyVault/vaults/kv-pc-prod-01`;
const roleDefinition = (id: string) => `/subscriptions/${FAKE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

const urn = (component: string, type: string, name: string) =>
  `urn:pulumi:prod::partner-center-sam::partner-center-sam:index:${component}$${type}::${name}`;
const APP_URN = urn("PartnerCenterApp", TYPES.application, "app");
const APP_SP_URN = urn("PartnerCenterApp", TYPES.servicePrincipal, "app");
const REFRESHER_APP_URN = urn("GitHubRefresher", TYPES.application, "app");
const REFRESHER_SP_URN = urn("GitHubRefresher", TYPES.servicePrincipal, "app");

describe("a stack with every setting configured", () => {
  let run: StackRun<StackOutputs>;
  let resources: RecordedResource[];

  beforeAll(async () => {
    run = await runStack(
      {
        "azure-native:location": "swedencentral",
        "partner-center-sam:resourceGroupName": "rg-shared-identity",
        "partner-center-sam:keyVaultName": "kv-pc-prod-01",
        "partner-center-sam:appDisplayName": "Contoso Partner Center",
        "partner-center-sam:redirectUri": "https://admin.contoso.com/partner-center/callback",
        "partner-center-sam:appCredential": "secret",
        "partner-center-sam:clientSecretRotationDays": "30",
        "partner-center-sam:grantAdminConsent": "true",
        "partner-center-sam:graphScopes": JSON.stringify(["DelegatedAdminRelationship.ReadWrite.All", "User.Read", "openid"]),
        "partner-center-sam:secretReaders": JSON.stringify([READER_USER, READER_GROUP.toUpperCase()]),
        "partner-center-sam:secretWriters": JSON.stringify([WRITER_SERVICE_PRINCIPAL]),
        "partner-center-sam:allowedIpRanges": JSON.stringify(["203.0.113.0/24", "198.51.100.7"]),
        "partner-center-sam:authorityHost": "https://login.microsoftonline.us/",
        "partner-center-sam:partnerCenterEndpoint": "https://api.partnercenter.microsoft.com/",
        "partner-center-sam:softDeleteRetentionDays": "7",
        "partner-center-sam:purgeProtection": "false",
        "partner-center-sam:githubRepository": "contoso/partner-center-automation",
        "partner-center-sam:githubEnvironment": "partner-center",
      },
      () => definePartnerCenterSam(readStackConfig()),
      { stack: "prod" },
    );
    resources = run.resources;
  });

  it("uses the existing resource group instead of creating one", () => {
    expect(ofType(resources, TYPES.resourceGroup)).toEqual([]);
    expect(single(resources, TYPES.vault, "vault").inputs["resourceGroupName"]).toBe("rg-shared-identity");
  });

  it("uses the configured vault name, with no random suffix", () => {
    expect(ofType(resources, TYPES.randomString)).toEqual([]);
    expect(single(resources, TYPES.vault, "vault").inputs["vaultName"]).toBe("kv-pc-prod-01");
  });

  it("keeps deleted secrets 7 days and leaves purge protection out (Azure accepts only true)", () => {
    const properties = single(resources, TYPES.vault, "vault").inputs["properties"];
    expect(properties.softDeleteRetentionInDays).toBe(7);
    expect(properties.enableSoftDelete).toBe(true);
    expect("enablePurgeProtection" in properties).toBe(false);
  });

  it("denies all traffic but the allowed IP ranges and Azure services", () => {
    const vault = single(resources, TYPES.vault, "vault");
    expect(vault.inputs["location"]).toBe("swedencentral");
    expect(vault.inputs["properties"].networkAcls).toEqual({
      bypass: "AzureServices",
      defaultAction: "Deny",
      ipRules: [{ value: "203.0.113.0/24" }, { value: "198.51.100.7" }],
    });
  });

  it("gives writers Secrets Officer and readers Secrets User on the vault, each with its directory type", () => {
    const assignments = ofType(resources, TYPES.roleAssignment).map((a) => [a.name, a.inputs]);
    const refresherSpObjectId = stableGuid(`${REFRESHER_SP_URN}#object`);
    expect(Object.fromEntries(assignments)).toEqual({
      "deployer-secrets-officer": {
        scope: VAULT_ID,
        roleDefinitionId: roleDefinition(OFFICER),
        principalId: FAKE.deployerObjectId,
        principalType: "User",
      },
      [`writer-${WRITER_SERVICE_PRINCIPAL}-secrets-officer`]: {
        scope: VAULT_ID,
        roleDefinitionId: roleDefinition(OFFICER),
        principalId: WRITER_SERVICE_PRINCIPAL,
        principalType: "ServicePrincipal",
      },
      [`reader-${READER_USER}-secrets-user`]: {
        scope: VAULT_ID,
        roleDefinitionId: roleDefinition(USER),
        principalId: READER_USER,
        principalType: "User",
      },
      [`reader-${READER_GROUP}-secrets-user`]: {
        scope: VAULT_ID,
        roleDefinitionId: roleDefinition(USER),
        principalId: READER_GROUP,
        principalType: "Group",
      },
      "secrets-officer": {
        scope: VAULT_ID,
        roleDefinitionId: roleDefinition(OFFICER),
        principalId: refresherSpObjectId,
        principalType: "ServicePrincipal",
      },
    });
  });

  it("registers the app with the configured name, redirect URI and the Graph scopes resolved to their published ids", () => {
    const appInputs = ofType(resources, TYPES.application).find((a) => a.urn === APP_URN)?.inputs;
    expect(appInputs?.["displayName"]).toBe("Contoso Partner Center");
    expect(appInputs?.["web"]).toEqual({ redirectUris: ["https://admin.contoso.com/partner-center/callback"] });
    expect(appInputs?.["requiredResourceAccesses"][1]).toEqual({
      resourceAppId: "00000003-0000-0000-c000-000000000000",
      resourceAccesses: [
        { id: "37f7f235-527c-4136-accd-4a02d197296e", type: "Scope" },
        { id: "14dad69e-099b-42c9-810b-d002981feec1", type: "Scope" },
        { id: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", type: "Scope" },
        { id: "885f682f-a990-4bad-a642-36736a74b0c7", type: "Scope" },
        { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" },
      ],
    });
  });

  it("grants admin consent for all users to Partner Center and to Graph", () => {
    const appSpObjectId = stableGuid(`${APP_SP_URN}#object`);
    const grants = ofType(resources, TYPES.grant).map((g) => [g.name, g.inputs]);
    expect(Object.fromEntries(grants)).toEqual({
      "partner-center-admin-consent": {
        servicePrincipalObjectId: appSpObjectId,
        resourceServicePrincipalObjectId: FAKE.partnerCenterObjectId,
        claimValues: ["user_impersonation"],
      },
      "microsoft-graph-admin-consent": {
        servicePrincipalObjectId: appSpObjectId,
        resourceServicePrincipalObjectId: FAKE.graphObjectId,
        claimValues: ["openid", "profile", "offline_access", "DelegatedAdminRelationship.ReadWrite.All", "User.Read"],
      },
    });
  });

  it("rotates the client secret every 30 days and lets it expire 30 days after the next rotation", () => {
    const rotation = single(resources, TYPES.rotating, "client-secret-rotation");
    const password = single(resources, TYPES.password, "client-secret");
    const secret = single(resources, TYPES.secret, "clientSecret");
    expect(rotation.inputs).toEqual({ rotationDays: 30, triggers: { rotationDays: "30", graceDays: "30" } });
    expect(rotation.state["rotationRfc3339"]).toBe("2025-03-31T12:00:00Z");
    expect(password.inputs["endDate"]).toBe("2025-04-30T12:00:00Z");
    expect(password.inputs["displayName"]).toBe("Managed by Pulumi; rotates every 30 days");
    expect(secret.inputs["properties"].attributes).toEqual({ enabled: true, expires: 1746014400 });
    expect(sentAsSecret(secret, "properties.value")).toBe(true);
  });

  it("creates the GitHub refresher identity: app, federated credential for the environment, service principal", () => {
    const parent = "urn:pulumi:prod::partner-center-sam::pulumi:pulumi:Stack$partner-center-sam:index:GitHubRefresher::github-refresher";
    const refresherObjectId = stableGuid(`${REFRESHER_APP_URN}#object`);
    const refresherClientId = stableGuid(`${REFRESHER_APP_URN}#client`);
    const app = ofType(resources, TYPES.application).find((a) => a.urn === REFRESHER_APP_URN);
    const sp = ofType(resources, TYPES.servicePrincipal).find((s) => s.urn === REFRESHER_SP_URN);
    const credential = single(resources, TYPES.federatedCredential, "github-environment");
    expect([app?.parent, app?.inputs]).toEqual([
      parent,
      {
        displayName: "Contoso Partner Center - GitHub token refresher",
        signInAudience: "AzureADMyOrg",
        owners: [FAKE.deployerObjectId],
      },
    ]);
    expect([credential.parent, credential.inputs]).toEqual([
      parent,
      {
        applicationId: `/applications/${refresherObjectId}`,
        displayName: "github-contoso-partner-center-automation-partner-center",
        description: "GitHub Actions jobs of contoso/partner-center-automation in environment partner-center",
        issuer: "https://token.actions.githubusercontent.com",
        subject: "repo:contoso/partner-center-automation:environment:partner-center",
        audiences: ["api://AzureADTokenExchange"],
      },
    ]);
    expect([sp?.parent, sp?.inputs]).toEqual([parent, { clientId: refresherClientId, owners: [FAKE.deployerObjectId] }]);
    expect(single(resources, TYPES.roleAssignment, "secrets-officer").parent).toBe(parent);
  });

  it("exports the configured endpoints, normalised, and the refresher's client id", () => {
    const clientId = stableGuid(`${APP_URN}#client`);
    expect(run.outputs).toEqual({
      tenantId: FAKE.tenantId,
      clientId,
      applicationObjectId: stableGuid(`${APP_URN}#object`),
      servicePrincipalObjectId: stableGuid(`${APP_SP_URN}#object`),
      redirectUri: "https://admin.contoso.com/partner-center/callback",
      keyVaultName: "kv-pc-prod-01",
      keyVaultUri: "https://kv-pc-prod-01.vault.azure.net/",
      secretNames: {
        clientId: "partnercenter-client-id",
        clientSecret: "partnercenter-client-secret",
        tenantId: "partnercenter-tenant-id",
        refreshToken: "partnercenter-refresh-token",
      },
      scopes: ["https://api.partnercenter.microsoft.com/user_impersonation"],
      authorityHost: "https://login.microsoftonline.us",
      partnerCenterEndpoint: "https://api.partnercenter.microsoft.com",
      graphEndpoint: "https://graph.microsoft.com",
      clientSecretExpiresAt: "2025-04-30T12:00:00Z",
      adminConsentUrl: `https://login.microsoftonline.us/${FAKE.tenantId}/adminconsent?client_id=${clientId}`,
      multiTenant: false,
      customerGraphScopes: [],
      customerInclude: [],
      customerExclude: [],
      gdapRoles: [],
      refresherClientId: stableGuid(`${REFRESHER_APP_URN}#client`),
    });
    expect(run.secretOutputs).toEqual([]);
  });

  it("still never touches the refresh-token secret", () => {
    expect(resources.some((r) => JSON.stringify(r.inputs).includes("refresh-token"))).toBe(false);
  });
});

describe("admin consent", () => {
  it("is granted for the Graph sign-in scopes alone when no extra scope is configured", async () => {
    const { resources } = await runStack(
      { "azure-native:location": "westeurope", "partner-center-sam:grantAdminConsent": "true" },
      () => definePartnerCenterSam(readStackConfig()),
    );
    expect(single(resources, TYPES.grant, "microsoft-graph-admin-consent").inputs["claimValues"]).toEqual([
      "openid",
      "profile",
      "offline_access",
    ]);
    expect(single(resources, TYPES.grant, "partner-center-admin-consent").inputs["claimValues"]).toEqual(["user_impersonation"]);
  });

  it("is not granted when grantAdminConsent is false, even with extra scopes", async () => {
    const { resources } = await runStack(
      {
        "azure-native:location": "westeurope",
        "partner-center-sam:grantAdminConsent": "false",
        "partner-center-sam:graphScopes": JSON.stringify(["User.Read"]),
      },
      () => definePartnerCenterSam(readStackConfig()),
    );
    expect(ofType(resources, TYPES.grant)).toEqual([]);
    expect(single(resources, TYPES.application, "app").inputs["requiredResourceAccesses"][1].resourceAccesses).toContainEqual({
      id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
      type: "Scope",
    });
  });
});
