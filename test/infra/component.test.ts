import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "../../infra/config-error";
import { parseStackConfig, readStackConfig } from "../../infra/config";
import { PARTNER_CENTER_SAM_TYPE, PartnerCenterSam, argsFromStackConfig, resolvePartnerCenterSamArgs } from "../../infra/partner-center-sam";
import { definePartnerCenterSam } from "../../infra/program";
import { consumerProgram } from "./consumer-program";
import { FAKE, RecordedResource, TYPES, ofType, runStack, single } from "./pulumi-mocks";

const P = "partner-center-sam";
const COMPONENTS = [TYPES.keyVault, TYPES.partnerCenterApp, TYPES.vaultSecrets, TYPES.githubRefresher] as string[];

/** The URN the real engine gives a resource directly under the stack (the mock prefixes the stack's type). */
const engineUrn = (urn: string) => urn.replace("::pulumi:pulumi:Stack$", "::");

/**
 * The URN a resource had before, as the engine derives it from the resource's move alias (or its URN
 * when it has none; azure-native's own aliases to its older API versions are not moves).
 */
function formerUrn(resource: RecordedResource): string {
  const alias = resource.aliases.find((a) => a.type === undefined && (a.noParent || a.parentUrn || a.name));
  if (!alias) return engineUrn(resource.urn);
  const stack = resource.urn.split("::")[0]?.split(":").pop();
  const type = alias.type ?? resource.type;
  const name = alias.name ?? resource.name;
  const parentType = alias.noParent ? undefined : (alias.parentUrn ?? resource.parent).split("::")[2]?.split("$").pop();
  return `urn:pulumi:${stack}::${P}::${parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$` : ""}${type}::${name}`;
}

describe("the PartnerCenterSam component in another team's program", () => {
  it("declares the whole stack under one component of type partner-center-sam:index:PartnerCenterSam, beside the program's own resources", async () => {
    const { resources } = await runStack({}, consumerProgram, { project: "platform", stack: "prod" });
    const component = single(resources, PARTNER_CENTER_SAM_TYPE, "partner-center-sam");
    expect(component.parent).toBe("urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod");
    const children = resources.filter((r) => COMPONENTS.includes(r.type));
    expect(children.map((c) => [c.type, c.parent])).toEqual([
      [TYPES.keyVault, component.urn],
      [TYPES.partnerCenterApp, component.urn],
      [TYPES.vaultSecrets, component.urn],
    ]);
    expect(single(resources, TYPES.randomString, "platform-marker").parent).toBe(component.parent);
  });

  it("uses the arguments as the stack uses its configuration, with the same defaults", async () => {
    const { resources } = await runStack({}, consumerProgram, { project: "platform", stack: "prod" });
    expect(single(resources, TYPES.vault, "vault").inputs["vaultName"]).toBe("kv-platform-sam");
    expect(single(resources, TYPES.resourceGroup, "resource-group").inputs["resourceGroupName"]).toBe("rg-platform-prod");
    expect(single(resources, TYPES.rotating, "client-secret-rotation").inputs).toEqual({
      rotationDays: 90,
      triggers: { rotationDays: "90", graceDays: "30" },
    });
    expect(single(resources, TYPES.application, "app").inputs["owners"]).toEqual(["11111111-2222-4333-8444-555555555555"]);
  });

  it("offers the stack outputs as properties, so the program can export what the bootstrap reads", async () => {
    const { outputs } = await runStack({}, consumerProgram, { project: "platform", stack: "prod" });
    expect(outputs["keyVaultUri"]).toBe("https://kv-platform-sam.vault.azure.net/");
    expect(outputs["bootstrap"]["keyVaultName"]).toBe("kv-platform-sam");
    expect(outputs["bootstrap"]["tenantId"]).toBe(FAKE.tenantId);
    expect(outputs["clientId"]).toBe(outputs["bootstrap"]["clientId"]);
    expect(Object.keys(outputs["bootstrap"]).sort()).toEqual(
      [
        "adminConsentUrl",
        "applicationObjectId",
        "authorityHost",
        "clientCertificateExpiresAt",
        "clientCertificateThumbprint",
        "clientId",
        "customerGraphScopes",
        "customerInclude",
        "customerExclude",
        "gdapRoles",
        "graphEndpoint",
        "keyVaultName",
        "keyVaultUri",
        "multiTenant",
        "partnerCenterEndpoint",
        "redirectUri",
        "scopes",
        "secretNames",
        "servicePrincipalObjectId",
        "tenantId",
      ].sort(),
    );
  });

  it("rejects invalid arguments before declaring anything, naming argument and rule, never the value", () => {
    let error: unknown;
    try {
      resolvePartnerCenterSamArgs({ location: "westeurope", keyVaultName: "9-lives", clientSecretGraceDays: 120 }, "platform", "prod");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message.split("\n")[0]).toBe("The PartnerCenterSam configuration has 2 invalid settings; nothing was deployed.");
    expect(message).toContain("platform:keyVaultName: must be 3–24 characters");
    expect(message).toContain("platform:clientSecretGraceDays: must be a whole number from 1 to 90");
    expect(message).toContain("Fix them in the program that creates the PartnerCenterSam component");
    expect(message).not.toContain("9-lives");
  });

  it("is what this project's own program declares, with the stack configuration turned into the same arguments", () => {
    for (const values of [
      { "azure-native:location": "westeurope" },
      {
        "azure-native:location": "swedencentral",
        [`${P}:resourceGroupName`]: "rg-shared",
        [`${P}:keyVaultName`]: "kv-pc-prod-01",
        [`${P}:graphScopes`]: '["User.Read"]',
        [`${P}:administrators`]: '["11111111-2222-4333-8444-555555555555"]',
        [`${P}:clientSecretGraceDays`]: "10",
        [`${P}:protectVault`]: "false",
        [`${P}:githubRepository`]: "contoso/automation",
        [`${P}:githubEnvironment`]: "prod",
      },
    ]) {
      const config = parseStackConfig(values, P, "prod");
      expect(resolvePartnerCenterSamArgs(argsFromStackConfig(config), P, "prod")).toEqual(config);
    }
  });
});

describe("an existing stack updated to the program built on the component", () => {
  const before = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "urns-ddbc7d8.json"), "utf8")) as { defaults: string[] };
  const adopted = ["partner-center", "microsoft-graph"].map(
    (name) => `urn:pulumi:dev::${P}::${P}:index:PartnerCenterApp$azuread:index/servicePrincipal:ServicePrincipal::${name}`,
  );

  it("finds every resource it had under its former URN, through aliases: nothing is replaced", async () => {
    // A stack from before certificates keeps its client secret with appCredential: secret.
    const { resources } = await runStack({ "azure-native:location": "westeurope", [`${P}:appCredential`]: "secret" }, () =>
      new PartnerCenterSam(P, argsFromStackConfig(readStackConfig())).outputs,
    );
    const formerly = resources.filter((r) => r.type !== PARTNER_CENTER_SAM_TYPE).map(formerUrn).sort();
    const expected = before.defaults.filter((urn) => !adopted.includes(urn)).map(engineUrn).sort();
    expect(formerly).toEqual(expected);
  });

  it("aliases exactly the components that moved under it, to their place directly under the stack", async () => {
    const { resources } = await runStack({ "azure-native:location": "westeurope" }, () =>
      new PartnerCenterSam(P, argsFromStackConfig(readStackConfig())).outputs,
    );
    const aliased = resources.filter((r) => r.aliases.some((a) => a.noParent));
    expect(aliased.map((r) => r.type)).toEqual([TYPES.keyVault, TYPES.partnerCenterApp, TYPES.vaultSecrets]);
    expect(ofType(resources, PARTNER_CENTER_SAM_TYPE)).toHaveLength(1);
  });

  it("declares the same resources with the same inputs as before the component existed", async () => {
    const config = { "azure-native:location": "westeurope", [`${P}:grantAdminConsent`]: "true" };
    const direct = await runStack(config, () => definePartnerCenterSam(readStackConfig()));
    const viaComponent = await runStack(config, () => new PartnerCenterSam(P, argsFromStackConfig(readStackConfig())).outputs);
    const inputs = (rs: RecordedResource[]) => Object.fromEntries(rs.filter((r) => r.custom).map((r) => [`${r.type}::${r.name}`, r.inputs]));
    expect(inputs(viaComponent.resources)).toEqual(inputs(direct.resources));
    expect(viaComponent.outputs).toEqual(direct.outputs);
  });
});
