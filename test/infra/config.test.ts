import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigValidationError } from "../../infra/config-error";
import { problemsOf } from "./config-problems";
import { StackConfig, configWarnings, parseStackConfig, readStackConfig } from "../../infra/config";
import { definePartnerCenterSam } from "../../infra/program";
import { installStandIn, runStack } from "./pulumi-mocks";

const P = "partner-center-sam";
const LOCATION = { "azure-native:location": "westeurope" };

/** The problems parseStackConfig reports for these values (project partner-center-sam, stack dev). */
describe("stack configuration", () => {
  it("needs only the Azure region and fills in every default", () => {
    const expected: StackConfig = {
      project: P,
      stack: "dev",
      location: "westeurope",
      resourceGroupName: "rg-partner-center-sam-dev",
      useExistingResourceGroup: false,
      appDisplayName: "Partner Center SAM (dev)",
      redirectUri: "http://localhost:8400/",
      appCredential: "certificate",
      clientSecretRotationDays: 150,
      clientSecretGraceDays: 30,
      grantAdminConsent: false,
      graphScopes: [],
      multiTenant: false,
      customerGraphScopes: [],
      customerInclude: [],
      customerExclude: [],
      gdapRoles: [],
      administrators: [],
      secretReaders: [],
      secretWriters: [],
      allowedIpRanges: [],
      authorityHost: "https://login.microsoftonline.com",
      partnerCenterEndpoint: "https://api.partnercenter.microsoft.com",
      graphEndpoint: "https://graph.microsoft.com",
      softDeleteRetentionDays: 90,
      purgeProtection: true,
      protectVault: true,
      alertEmails: [],
      alertWebhooks: [],
    };
    expect(parseStackConfig(LOCATION, P, "dev")).toEqual(expected);
  });

  it("treats the empty defaults Pulumi.yaml declares as 'derive it'", () => {
    const config = parseStackConfig(
      {
        ...LOCATION,
        [`${P}:resourceGroupName`]: "",
        [`${P}:keyVaultName`]: "",
        [`${P}:appDisplayName`]: "",
        [`${P}:githubRepository`]: "",
        [`${P}:githubEnvironment`]: "",
        [`${P}:graphScopes`]: "[]",
        [`${P}:clientSecretRotationDays`]: "180",
        [`${P}:purgeProtection`]: "true",
      },
      P,
      "staging",
    );
    expect(config.resourceGroupName).toBe("rg-partner-center-sam-staging");
    expect(config.useExistingResourceGroup).toBe(false);
    expect(config.keyVaultName).toBeUndefined();
    expect(config.appDisplayName).toBe("Partner Center SAM (staging)");
    expect(config.githubRefresher).toBeUndefined();
  });

  it("normalises values: URLs to their origin, object ids to lower case without duplicates, sign-in scopes dropped", () => {
    const id = "ABCDEF01-2345-4678-89AB-CDEF01234567";
    const config = parseStackConfig(
      {
        ...LOCATION,
        [`${P}:authorityHost`]: "https://login.microsoftonline.us/",
        [`${P}:partnerCenterEndpoint`]: "https://api.partnercenter.microsoft.com:443/",
        [`${P}:graphEndpoint`]: "https://graph.microsoft.us/",
        [`${P}:secretReaders`]: JSON.stringify([id, id.toLowerCase()]),
        [`${P}:graphScopes`]: JSON.stringify(["openid", "User.Read", "User.Read", "offline_access", "profile"]),
        [`${P}:resourceGroupName`]: "rg-existing",
        [`${P}:githubRepository`]: "contoso/pc.automation",
        [`${P}:githubEnvironment`]: "prod",
      },
      P,
      "dev",
    );
    expect(config.authorityHost).toBe("https://login.microsoftonline.us");
    expect(config.partnerCenterEndpoint).toBe("https://api.partnercenter.microsoft.com");
    expect(config.graphEndpoint).toBe("https://graph.microsoft.us");
    expect(config.secretReaders).toEqual([id.toLowerCase()]);
    expect(config.graphScopes).toEqual(["User.Read"]);
    expect(config.useExistingResourceGroup).toBe(true);
    expect(config.githubRefresher).toEqual({ repository: "contoso/pc.automation", environment: "prod" });
  });

  const cases: Array<[key: string, value: string | undefined, rule: string, example: string]> = [
    [`${P}:clientSecretGraceDays`, "0", "must be a whole number from 1 to 90", "30"],
    [`${P}:clientSecretGraceDays`, "91", "must be a whole number from 1 to 90", "30"],
    [`${P}:administrators`, '["admin@contoso.com"]', "must be a list of Entra object ids (GUIDs); item 0 is not a GUID", '["00000000-0000-0000-0000-000000000000"]'],
    [`${P}:protectVault`, "no", "must be true or false", "true"],
    ["azure-native:location", undefined, "is required: the Azure region for the resource group and the Key Vault", "westeurope"],
    ["azure-native:location", "west-europe!", "must be an Azure region name such as westeurope", "westeurope"],
    [`${P}:resourceGroupName`, "rg/identity", "must be 1–90 letters, digits, `_`, `-`, `.`, `(` or `)`, not ending with `.`", "rg-partner-center"],
    [`${P}:appDisplayName`, "   ", "must be non-empty text of at most 256 characters", "Partner Center SAM (production)"],
    [`${P}:clientSecretRotationDays`, "0", "must be a whole number from 1 to 730", "150"],
    [`${P}:clientSecretRotationDays`, "731", "must be a whole number from 1 to 730", "150"],
    [`${P}:clientSecretRotationDays`, "90.5", "must be a whole number from 1 to 730", "150"],
    [`${P}:grantAdminConsent`, "yes", "must be true or false", "true"],
    [`${P}:graphScopes`, "User.Read", "must be a list of Microsoft Graph delegated scope names", '["DelegatedAdminRelationship.ReadWrite.All"]'],
    [`${P}:graphScopes`, '["User Read"]', "must be a list of Microsoft Graph delegated scope names; item 0 is not a scope name", '["DelegatedAdminRelationship.ReadWrite.All"]'],
    [`${P}:secretReaders`, '["alice@contoso.com"]', "must be a list of Entra object ids (GUIDs); item 0 is not a GUID", '["00000000-0000-0000-0000-000000000000"]'],
    [`${P}:secretWriters`, '["1234", "5678"]', "must be a list of Entra object ids (GUIDs); item 0 is not a GUID; item 1 is not a GUID", '["00000000-0000-0000-0000-000000000000"]'],
    [`${P}:allowedIpRanges`, '["10.0.0.5/24"]', "must be a list of IPv4 addresses or CIDR ranges; item 0 has host bits set: the address must be the first of its CIDR range", '["203.0.113.0/24","198.51.100.7"]'],
    [`${P}:allowedIpRanges`, '["256.1.1.1", "2001:db8::/32", "10.0.0.0/33"]', "must be a list of IPv4 addresses or CIDR ranges; item 0 is not an IPv4 address or CIDR range; item 1 is not an IPv4 address or CIDR range; item 2 is not an IPv4 address or CIDR range", '["203.0.113.0/24","198.51.100.7"]'],
    [`${P}:authorityHost`, "http://login.microsoftonline.com", "must be an https:// URL with no path, query or fragment", "https://login.microsoftonline.us"],
    [`${P}:authorityHost`, "https://login.microsoftonline.com/organizations", "must be an https:// URL with no path, query or fragment", "https://login.microsoftonline.us"],
    [`${P}:partnerCenterEndpoint`, "api.partnercenter.microsoft.com", "must be an https:// URL with no path, query or fragment", "https://api.partnercenter.microsoft.com"],
    [`${P}:graphEndpoint`, "http://graph.microsoft.com", "must be an https:// URL with no path, query or fragment", "https://graph.microsoft.us"],
    [`${P}:graphEndpoint`, "https://graph.microsoft.com/v1.0", "must be an https:// URL with no path, query or fragment", "https://graph.microsoft.us"],
    [`${P}:softDeleteRetentionDays`, "6", "must be a whole number from 7 to 90", "90"],
    [`${P}:softDeleteRetentionDays`, "91", "must be a whole number from 7 to 90", "90"],
    [`${P}:purgeProtection`, "off", "must be true or false", "true"],
  ];
  it.each(cases)("rejects %s = %j: %s", (key, value, rule, example) => {
    const values: Record<string, string> = key === "azure-native:location" ? {} : { ...LOCATION };
    if (value !== undefined) values[key] = value;
    expect(problemsOf(values)).toEqual([{ key, rule, example }]);
  });

  const vaultRule =
    "must be 3–24 characters: letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no `--`";
  it.each(["kv", "1-vault", "kv--double", "vault-", "kv_underscore", "a-key-vault-name-of-25-ch"])(
    "rejects the Key Vault name %j",
    (name) => {
      expect(problemsOf({ ...LOCATION, [`${P}:keyVaultName`]: name })).toEqual([
        { key: `${P}:keyVaultName`, rule: vaultRule, example: "kv-partnercenter-prod" },
      ]);
    },
  );

  it.each(["kv1", "a-key-vault-name-of-24ch", "KV-Partner-01"])("accepts the Key Vault name %j", (name) => {
    expect(parseStackConfig({ ...LOCATION, [`${P}:keyVaultName`]: name }, P, "dev").keyVaultName).toBe(name);
  });

  const redirectRule =
    "must be http://localhost[:port]/… or an https:// URL with no query, fragment or user name, port 1–65535, at most 256 characters";
  it.each([
    "http://example.com/callback",
    "http://localhost:8400",
    "http://127.0.0.1:8400/",
    "http://localhost:70000/",
    "http://localhost:0/",
    "https://contoso.com:0/callback",
    "https://contoso.com:99999/callback",
    "http://localhost:8400/?tenant=contoso",
    "https://contoso.com/callback?next=home",
    "https://admin@contoso.com/callback",
    "https://admin:hunter2@contoso.com/callback",
    "ftp://localhost/",
    "https://contoso.com/callback#done",
    "https://*.contoso.com/",
    `https://contoso.com/${"a".repeat(240)}`,
  ])("rejects the redirect URI %j", (uri) => {
    expect(problemsOf({ ...LOCATION, [`${P}:redirectUri`]: uri })).toEqual([
      { key: `${P}:redirectUri`, rule: redirectRule, example: "http://localhost:8400/" },
    ]);
  });

  it.each([
    "http://localhost/",
    "http://localhost:8400/",
    "http://localhost:3000/auth/callback",
    "https://admin.contoso.com/cb",
    "https://admin.contoso.com:8443/cb",
  ])(
    "accepts the redirect URI %j",
    (uri) => {
      expect(parseStackConfig({ ...LOCATION, [`${P}:redirectUri`]: uri }, P, "dev").redirectUri).toBe(uri);
    },
  );

  it("checks the GitHub refresher settings' formats", () => {
    expect(
      problemsOf({ ...LOCATION, [`${P}:githubRepository`]: "contoso", [`${P}:githubEnvironment`]: "prod env" }),
    ).toEqual([
      {
        key: `${P}:githubRepository`,
        rule: "must be a GitHub repository as owner/name (owner: letters, digits, hyphens; name: letters, digits, `.`, `_`, `-`)",
        example: "contoso/partner-center-automation",
      },
      {
        key: `${P}:githubEnvironment`,
        rule: "must be a GitHub environment name of 1–255 letters, digits, `.`, `_` or `-`",
        example: "production",
      },
    ]);
  });

  it("needs githubRepository and githubEnvironment together", () => {
    expect(problemsOf({ ...LOCATION, [`${P}:githubRepository`]: "contoso/automation" })).toEqual([
      {
        key: `${P}:githubEnvironment`,
        rule: `must be set together with ${P}:githubRepository (or ${P}:githubDeployEnvironment, for the rotation workflow's identity alone)`,
        example: "production",
      },
    ]);
    expect(problemsOf({ ...LOCATION, [`${P}:githubEnvironment`]: "production" })).toEqual([
      {
        key: `${P}:githubRepository`,
        rule: `must be set together with ${P}:githubEnvironment`,
        example: "contoso/partner-center-automation",
      },
    ]);
  });

  it("rejects keys of this project it does not know, suggesting the intended one", () => {
    const [problem] = problemsOf({ ...LOCATION, [`${P}:keyvaultname`]: "kv-x" });
    expect(problem?.key).toBe(`${P}:keyvaultname`);
    expect(problem?.rule).toBe(`is not a setting of this project (did you mean ${P}:keyVaultName?)`);
    expect(problem?.example).toMatch(/^`pulumi config rm partner-center-sam:keyvaultname`; settings: resourceGroupName, keyVaultName, /);
  });

  it("ignores other namespaces' keys", () => {
    expect(problemsOf({ ...LOCATION, "azure-native:subscriptionId": "x", "azuread:tenantId": "y" })).toEqual([]);
  });

  it("reports every invalid key at once, in one message naming key, rule and example, never a value", () => {
    let error: unknown;
    try {
      parseStackConfig(
        {
          [`${P}:keyVaultName`]: "9vault",
          [`${P}:clientSecretRotationDays`]: "1000",
          [`${P}:allowedIpRanges`]: '["10.1.2.3/16"]',
        },
        P,
        "dev",
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as ConfigValidationError).problems.map((p) => p.key)).toEqual([
      "azure-native:location",
      `${P}:keyVaultName`,
      `${P}:clientSecretRotationDays`,
      `${P}:allowedIpRanges`,
    ]);
    expect((error as Error).message).toBe(
      [
        "The stack configuration has 4 invalid settings; nothing was deployed.",
        "  - azure-native:location: is required: the Azure region for the resource group and the Key Vault. Example: westeurope",
        `  - ${P}:keyVaultName: ${vaultRule}. Example: kv-partnercenter-prod`,
        `  - ${P}:clientSecretRotationDays: must be a whole number from 1 to 730. Example: 150`,
        `  - ${P}:allowedIpRanges: must be a list of IPv4 addresses or CIDR ranges; item 0 has host bits set: the address must be the first of its CIDR range. Example: ["203.0.113.0/24","198.51.100.7"]`,
        "Fix them with `pulumi config set <key> <value>` (list items: `pulumi config set --path '<key>[0]' <value>`) and run `pulumi up` again.",
      ].join("\n"),
    );
  });

  it("is read from the stack's Pulumi configuration, for the current project and stack", () => {
    installStandIn("partner-center-sam", "production");
    pulumi.runtime.setAllConfig({
      "azure-native:location": "northeurope",
      [`${P}:clientSecretRotationDays`]: "365",
      [`${P}:secretWriters`]: '["33333333-4444-4555-8666-777777777777"]',
    });
    const config = readStackConfig();
    expect([config.stack, config.location, config.clientSecretRotationDays, config.secretWriters, config.resourceGroupName]).toEqual([
      "production",
      "northeurope",
      365,
      ["33333333-4444-4555-8666-777777777777"],
      "rg-partner-center-sam-production",
    ]);
    pulumi.runtime.setAllConfig({ [`${P}:purgeProtection`]: "nope" });
    expect(() => readStackConfig()).toThrow(/azure-native:location: is required[\s\S]*purgeProtection: must be true or false/);
  });

  it("never prints a configured value, which may have been set with --secret", () => {
    const secretish = {
      [`${P}:keyVaultName`]: "s3cr3t-Value--x",
      [`${P}:redirectUri`]: "https://s3cr3t-Value.example/?code=s3cr3t-Value",
      [`${P}:secretReaders`]: JSON.stringify(["s3cr3t-Value"]),
      [`${P}:allowedIpRanges`]: JSON.stringify(["s3cr3t-Value"]),
      [`${P}:graphScopes`]: JSON.stringify(["s3cr3t Value"]),
      [`${P}:appDisplayName`]: " ".repeat(3),
      [`${P}:s3cr3t-Value`]: "s3cr3t-Value",
      [`${P}:clientSecretRotationDays`]: "s3cr3t-Value",
    };
    let message = "";
    try {
      parseStackConfig(secretish, P, "dev");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("invalid settings");
    // The unknown key's name is no value: it is the one place the text may appear.
    expect(message.split(`${P}:s3cr3t-Value`).join("")).not.toMatch(/s3cr3t/i);
  });

  it("rejects a client-secret lifetime (rotation + grace) above 730 days", () => {
    expect(problemsOf({ ...LOCATION, [`${P}:clientSecretRotationDays`]: "700", [`${P}:clientSecretGraceDays`]: "31" })).toEqual([
      {
        key: `${P}:clientSecretRotationDays`,
        rule: `plus ${P}:clientSecretGraceDays is the app credential's lifetime, which must not exceed 730 days`,
        example: "150 (with a grace of 30)",
      },
    ]);
    expect(problemsOf({ ...LOCATION, [`${P}:clientSecretRotationDays`]: "700", [`${P}:clientSecretGraceDays`]: "30" })).toEqual([]);
    expect(problemsOf({ ...LOCATION, [`${P}:clientSecretRotationDays`]: "730" })).toHaveLength(1);
  });

  it("rejects an id that is both an administrator and a secret writer: Azure refuses the duplicate role assignment", () => {
    const id = "11111111-2222-4333-8444-555555555555";
    expect(
      problemsOf({ ...LOCATION, [`${P}:administrators`]: JSON.stringify([id]), [`${P}:secretWriters`]: JSON.stringify([id.toUpperCase()]) }),
    ).toEqual([
      {
        key: `${P}:secretWriters`,
        rule: `must not repeat ids listed in ${P}:administrators, which already get Key Vault Secrets Officer (Azure refuses a duplicate role assignment)`,
        example: "only ids that are not administrators",
      },
    ]);
  });
});

describe("configuration warnings", () => {
  const warningsFor = (values: Record<string, string>) => configWarnings(parseStackConfig({ ...LOCATION, ...values }, P, "dev"));

  it("has none for the defaults", () => {
    expect(warningsFor({})).toEqual([]);
  });

  it("accepts 0.0.0.0/0 in allowedIpRanges but warns that it opens the vault to all networks", () => {
    expect(warningsFor({ [`${P}:allowedIpRanges`]: JSON.stringify(["203.0.113.0/24", "0.0.0.0/0"]) })).toEqual([
      `${P}:allowedIpRanges contains 0.0.0.0/0, which opens the Key Vault firewall to all networks; list only the addresses that need the vault, or leave the key empty if that is what you want.`,
    ]);
  });

  it("warns above 180 days of client-secret lifetime, which tenant policies may refuse, and not at 180", () => {
    const secret = { [`${P}:appCredential`]: "secret" };
    expect(warningsFor({ ...secret, [`${P}:clientSecretRotationDays`]: "150", [`${P}:clientSecretGraceDays`]: "30" })).toEqual([]);
    expect(warningsFor({ ...secret, [`${P}:clientSecretRotationDays`]: "151" })).toEqual([
      `The client secret lives ${P}:clientSecretRotationDays + ${P}:clientSecretGraceDays days, more than 180: tenants whose app management policy caps password lifetime refuse it with CredentialInvalidLifetimeAsPerAppPolicy. Lower the sum to 180 or less if that happens.`,
    ]);
  });

  it("warns likewise above 180 days of certificate lifetime, naming the certificate lifetime policy", () => {
    expect(warningsFor({ [`${P}:clientSecretRotationDays`]: "150" })).toEqual([]);
    expect(warningsFor({ [`${P}:clientSecretRotationDays`]: "151" })).toEqual([
      `The certificate lives ${P}:clientSecretRotationDays + ${P}:clientSecretGraceDays days, more than 180: tenants whose app management policy caps certificate (asymmetric key) lifetime refuse it with CredentialInvalidLifetimeAsPerAppPolicy. Lower the sum to 180 or less if that happens.`,
    ]);
  });

  it("accepts appCredential certificate or secret in any case, and names both choices for anything else", () => {
    expect(parseStackConfig({ ...LOCATION, [`${P}:appCredential`]: "Secret" }, P, "dev").appCredential).toBe("secret");
    expect(parseStackConfig(LOCATION, P, "dev").appCredential).toBe("certificate");
    expect(problemsOf({ ...LOCATION, [`${P}:appCredential`]: "password" })).toEqual([
      { key: `${P}:appCredential`, rule: "must be one of certificate, secret", example: "certificate" },
    ]);
  });

  it("are logged as Pulumi warnings when the program declares the stack", async () => {
    const { standIn } = await runStack({ ...LOCATION, [`${P}:allowedIpRanges`]: '["0.0.0.0/0"]' }, () =>
      definePartnerCenterSam(readStackConfig()),
    );
    expect(standIn.warnings).toHaveLength(1);
    expect(standIn.warnings[0]).toMatch(/^partner-center-sam:allowedIpRanges contains 0\.0\.0\.0\/0/);
  });
});
