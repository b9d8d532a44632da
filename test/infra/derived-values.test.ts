import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { keyVaultName } from "../../infra/config-rules";
import { resolveDelegatedScopes } from "../../infra/graph-scopes";
import { defaultAppDisplayName, defaultResourceGroupName, keyVaultNamePrefix, stackTags } from "../../infra/naming";
import { clientSecretEndDate, unixSeconds } from "../../infra/secret-rotation";
import { roleDefinitionId } from "../../infra/vault-role";
import { valueOf } from "./pulumi-mocks";

describe("derived names", () => {
  it.each([
    ["partner-center-sam", "dev", "pcsam-dev"],
    ["partner-center-sam", "Production_EU.2", "pcsam-production"],
    ["partner-center-sam", "customer-onboarding-westeurope", "pcsam-customer-on"],
    ["partner-center-sam", "---", "pcsam"],
    ["partner-center-sam", "42", "pcsam-42"],
    ["tooling", "dev", "tooling-dev"],
    ["2fa-helper-app", "prod", "kv2happ-prod"],
  ])("derives the vault name prefix of project %s, stack %s as %s", (project, stack, prefix) => {
    expect(keyVaultNamePrefix(project, stack)).toBe(prefix);
  });

  it.each(["dev", "a", "Production_EU.2", "x".repeat(100), "--a--b--", "UPPER.case_stack", "9"])(
    "always yields a valid Key Vault name with the 6-character suffix (stack %j)",
    (stack) => {
      for (const project of ["partner-center-sam", "p", "my.very.long.project.name.indeed"]) {
        const name = `${keyVaultNamePrefix(project, stack)}-a1b2c3`;
        expect([name, keyVaultName.parse(name).ok]).toEqual([name, true]);
      }
    },
  );

  it("names the resource group, the app and the tags after project and stack", () => {
    expect(defaultResourceGroupName("partner-center-sam", "prod")).toBe("rg-partner-center-sam-prod");
    expect(defaultAppDisplayName("prod")).toBe("Partner Center SAM (prod)");
    expect(stackTags("partner-center-sam", "prod")).toEqual({ project: "partner-center-sam", stack: "prod", "managed-by": "pulumi" });
  });

  it("builds role definition ids within the subscription", async () => {
    expect(await valueOf(roleDefinitionId("5b0e9c4d-8a21-4f6b-b3d7-1e2f3a4b5c6d", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"))).toBe(
      "/subscriptions/5b0e9c4d-8a21-4f6b-b3d7-1e2f3a4b5c6d/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    );
  });
});

describe("client secret end date", () => {
  it("is the next rotation plus 30 days, in RFC 3339 without fractions", () => {
    expect(clientSecretEndDate("2025-08-28T12:00:00Z")).toBe("2025-09-27T12:00:00Z");
    expect(clientSecretEndDate("2025-12-15T23:30:15.250Z")).toBe("2026-01-14T23:30:15Z");
    expect(clientSecretEndDate("2025-02-01T00:00:00+02:00")).toBe("2025-03-02T22:00:00Z");
  });

  it("can use another grace period", () => {
    expect(clientSecretEndDate("2025-08-28T12:00:00Z", 1)).toBe("2025-08-29T12:00:00Z");
  });

  it("refuses a time it cannot read", () => {
    expect(() => clientSecretEndDate("next tuesday")).toThrow('Not an RFC 3339 time: "next tuesday"');
  });

  it("becomes Key Vault's expires attribute in seconds", () => {
    expect(unixSeconds("2025-09-27T12:00:00Z")).toBe(1758974400);
  });
});

describe("delegated scope resolution", () => {
  const published = { openid: "37f7f235-527c-4136-accd-4a02d197296e", "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d" };

  it("maps names to the ids the service principal publishes, in the given order", () => {
    expect(resolveDelegatedScopes(published, ["User.Read", "openid"], "Microsoft Graph")).toEqual([
      { name: "User.Read", id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d" },
      { name: "openid", id: "37f7f235-527c-4136-accd-4a02d197296e" },
    ]);
  });

  it("fails naming every unknown scope, and is case-sensitive", () => {
    expect(() => resolveDelegatedScopes(published, ["user.read", "User.Read", "Mail.Sendd"], "Microsoft Graph")).toThrow(
      'Microsoft Graph publishes no delegated permission named "user.read", "Mail.Sendd" in this tenant.',
    );
  });

  it("fails with a RunError without stack frames, so Pulumi prints just the message, quickly", () => {
    let error: unknown;
    try {
      resolveDelegatedScopes(published, ["Nope.Nope"], "Microsoft Graph");
    } catch (caught) {
      error = caught;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).stack).not.toMatch(/\n\s+at /);
  });

  it("does not take inherited object properties for scopes", () => {
    expect(() => resolveDelegatedScopes(published, ["toString"], "Microsoft Graph")).toThrow('named "toString"');
  });
});
