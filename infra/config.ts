import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REDIRECT_URI, PUBLIC_AUTHORITY_HOST, PUBLIC_GRAPH_ENDPOINT, PUBLIC_PARTNER_CENTER_ENDPOINT } from "../bootstrap/src/core/contract";
import { ConfigProblem, ConfigValidationError, STACK_CONFIGURATION, SettingsOrigin } from "./config-error";
import { CLIENT_SECRET_GRACE_DAYS, GRAPH_SIGN_IN_SCOPES } from "./constants";
import * as rules from "./config-rules";
import { defaultAppDisplayName, defaultResourceGroupName } from "./naming";

/** The stack's settings, validated and with defaults applied. */
export interface StackConfig {
  project: string;
  stack: string;
  /** `azure-native:location`: region of the resource group and the vault. */
  location: string;
  /** The resource group holding the vault. */
  resourceGroupName: string;
  /** True when `resourceGroupName` was configured: the group exists and is not managed by the stack. */
  useExistingResourceGroup: boolean;
  /** The configured vault name; undefined means "derive one with a stable random suffix". */
  keyVaultName?: string;
  appDisplayName: string;
  redirectUri: string;
  /**
   * How the app authenticates to Entra ID: `certificate` (default; a self-signed
   * certificate whose private key is in the vault) or `secret` (a client secret).
   */
  appCredential: AppCredentialKind;
  /** Days between rotations of the app credential (client secret or certificate). */
  clientSecretRotationDays: number;
  /** Days the app credential (client secret or certificate) stays valid after its scheduled rotation. */
  clientSecretGraceDays: number;
  grantAdminConsent: boolean;
  /** Extra delegated Graph scope names, without the sign-in scopes (openid, profile, offline_access). */
  graphScopes: string[];
  /** The app signs in users of any Entra ID tenant (`AzureADMultipleOrgs`), as customer tenants (GDAP) require. */
  multiTenant: boolean;
  /** Delegated Graph scope names the app gets in customer tenants (the `consent` command grants them there). */
  customerGraphScopes: string[];
  /** Customer tenant ids `customers`, `call --customers` and `consent --all` cover; empty = every customer. */
  customerInclude: string[];
  /** Customer tenant ids those commands leave out. */
  customerExclude: string[];
  /** Entra role template ids every customer's GDAP must grant (`customers` names the missing ones); empty = not checked. */
  gdapRoles: string[];
  /**
   * Entra object ids that own the app registrations and get Key Vault Secrets Officer.
   * Empty: the identity running `pulumi up` does.
   */
  administrators: string[];
  secretReaders: string[];
  secretWriters: string[];
  allowedIpRanges: string[];
  /** Normalised to an origin without trailing slash. */
  authorityHost: string;
  /** Normalised to an origin without trailing slash. */
  partnerCenterEndpoint: string;
  /** Microsoft Graph's endpoint (sovereign clouds have their own), normalised to an origin without trailing slash. */
  graphEndpoint: string;
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  /** Protect the vault and the stack-created resource group from deletion and replacement. */
  protectVault: boolean;
  /** E-mail receivers of the expiry alerts (Key Vault events → Azure Monitor action group); empty: no alerts by e-mail. */
  alertEmails: string[];
  /** Webhook receivers of the expiry alerts (secret). With `alertEmails` empty too, no alert resources are created. */
  alertWebhooks: string[];
  /** Set when `githubRepository` and `githubEnvironment` are configured. */
  githubRefresher?: { repository: string; environment: string };
  /** Set when `githubRepository` and `githubDeployEnvironment` are configured: the identity of the rotation workflow. */
  githubDeployer?: { repository: string; environment: string };
}

/** The app's credential kinds (config `appCredential`). */
export const APP_CREDENTIAL_KINDS = ["certificate", "secret"] as const;
export type AppCredentialKind = (typeof APP_CREDENTIAL_KINDS)[number];

/** The fully qualified key of the required Azure region. */
export const LOCATION_KEY = "azure-native:location";

/** Every setting of this project (namespace = project name), with its default as the CLI passes it. */
export const PROJECT_SETTINGS = {
  resourceGroupName: "",
  keyVaultName: "",
  appDisplayName: "",
  redirectUri: DEFAULT_REDIRECT_URI,
  appCredential: "certificate" as AppCredentialKind,
  clientSecretRotationDays: 150,
  clientSecretGraceDays: CLIENT_SECRET_GRACE_DAYS,
  grantAdminConsent: false,
  graphScopes: [] as string[],
  multiTenant: false,
  customerGraphScopes: [] as string[],
  customerInclude: [] as string[],
  customerExclude: [] as string[],
  gdapRoles: [] as string[],
  administrators: [] as string[],
  secretReaders: [] as string[],
  secretWriters: [] as string[],
  allowedIpRanges: [] as string[],
  authorityHost: PUBLIC_AUTHORITY_HOST,
  partnerCenterEndpoint: PUBLIC_PARTNER_CENTER_ENDPOINT,
  graphEndpoint: PUBLIC_GRAPH_ENDPOINT,
  softDeleteRetentionDays: 90,
  purgeProtection: true,
  protectVault: true,
  alertEmails: [] as string[],
  alertWebhooks: [] as string[],
  githubRepository: "",
  githubEnvironment: "",
  githubDeployEnvironment: "",
} as const;

type SettingName = keyof typeof PROJECT_SETTINGS;

/** Longest client-secret lifetime (rotation + grace) Entra ID accepts without an app management policy: two years. */
export const MAX_CLIENT_SECRET_LIFETIME_DAYS = 730;
/** Lifetimes above this are refused by many tenants' app management policies (e.g. CISA ScubaGear MS.AAD.5.6v1). */
export const POLICY_FRIENDLY_CLIENT_SECRET_LIFETIME_DAYS = 180;

const SIGN_IN_SCOPE_NAMES = new Set(GRAPH_SIGN_IN_SCOPES.map((scope) => scope.name));

/**
 * Reads and validates the whole stack configuration before any resource is
 * declared. Throws one {@link ConfigValidationError} listing every problem.
 * Valid but risky settings ({@link configWarnings}) are logged by the
 * `PartnerCenterSam` component, wherever its settings come from.
 */
export function readStackConfig(): StackConfig {
  return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getProject(), pulumi.getStack());
}

/**
 * Valid settings that may still hurt: each warning names the keys involved and
 * the consequence, never a configured value.
 */
export function configWarnings(config: StackConfig): string[] {
  const key = (name: SettingName) => `${config.project}:${name}`;
  const warnings: string[] = [];
  if (config.allowedIpRanges.includes("0.0.0.0/0")) {
    warnings.push(
      `${key("allowedIpRanges")} contains 0.0.0.0/0, which opens the Key Vault firewall to all networks; ` +
        "list only the addresses that need the vault, or leave the key empty if that is what you want.",
    );
  }
  if (config.clientSecretRotationDays + config.clientSecretGraceDays > POLICY_FRIENDLY_CLIENT_SECRET_LIFETIME_DAYS) {
    const [what, limit] = config.appCredential === "secret" ? ["client secret", "password lifetime"] : ["certificate", "certificate (asymmetric key) lifetime"];
    warnings.push(
      `The ${what} lives ${key("clientSecretRotationDays")} + ${key("clientSecretGraceDays")} days, more than ` +
        `${POLICY_FRIENDLY_CLIENT_SECRET_LIFETIME_DAYS}: tenants whose app management policy caps ${limit} refuse it ` +
        "with CredentialInvalidLifetimeAsPerAppPolicy. Lower the sum to 180 or less if that happens.",
    );
  }
  if (config.customerGraphScopes.length > 0 && !config.multiTenant) {
    warnings.push(
      `${key("customerGraphScopes")} is set but ${key("multiTenant")} is false: a single-tenant app cannot be consented ` +
        "in customer tenants, so these permissions are only requested, never usable there. Set multiTenant to true to use them.",
    );
  }
  if (!config.protectVault) {
    warnings.push(
      `${key("protectVault")} is false: a change of ${key("keyVaultName")}, ${key("resourceGroupName")} or ${LOCATION_KEY} ` +
        "now deletes the Key Vault, and the refresh token in it, instead of failing the update.",
    );
  }
  return warnings;
}

/**
 * Validates a configuration map (fully qualified keys, values as the Pulumi
 * CLI passes them: text, lists as JSON) for the given project and stack.
 */
export function parseStackConfig(
  values: Record<string, string | undefined>,
  project: string,
  stack: string,
  origin: SettingsOrigin = STACK_CONFIGURATION,
): StackConfig {
  const problems: ConfigProblem[] = [];
  const key = (name: SettingName) => `${project}:${name}`;

  function read<T>(fullKey: string, rule: rules.Rule<T>): T | undefined {
    const text = values[fullKey];
    if (text === undefined || text === "") return undefined;
    const parsed = rule.parse(text);
    if (parsed.ok) return parsed.value;
    problems.push({ key: fullKey, rule: parsed.rule, example: rule.example });
    return undefined;
  }
  function setting<T>(name: SettingName, rule: rules.Rule<T>): T | undefined {
    return read(key(name), rule);
  }
  function problem(fullKey: string, rule: string, example: string): void {
    problems.push({ key: fullKey, rule, example });
  }

  const location = read(LOCATION_KEY, rules.azureLocation);
  if (values[LOCATION_KEY] === undefined || values[LOCATION_KEY] === "") {
    problem(LOCATION_KEY, "is required: the Azure region for the resource group and the Key Vault", rules.azureLocation.example);
  }
  const resourceGroupName = setting("resourceGroupName", rules.resourceGroupName);
  const keyVaultName = setting("keyVaultName", rules.keyVaultName);
  const appDisplayName = setting("appDisplayName", rules.nonEmptyText("Partner Center SAM (production)"));
  const config = {
    redirectUri: setting("redirectUri", rules.redirectUri),
    appCredential: setting("appCredential", rules.oneOf(APP_CREDENTIAL_KINDS, "certificate")),
    clientSecretRotationDays: setting("clientSecretRotationDays", rules.wholeNumber(1, 730, 150)),
    clientSecretGraceDays: setting("clientSecretGraceDays", rules.wholeNumber(1, 90, 30)),
    grantAdminConsent: setting("grantAdminConsent", rules.flag),
    graphScopes: setting("graphScopes", rules.listOf(rules.graphScopeName, ["DelegatedAdminRelationship.ReadWrite.All"])),
    multiTenant: setting("multiTenant", rules.flag),
    customerGraphScopes: setting("customerGraphScopes", rules.listOf(rules.graphScopeName, ["Directory.Read.All", "User.Read.All"])),
    customerInclude: setting("customerInclude", rules.listOf(rules.customerTenantId, ["00000000-0000-0000-0000-000000000000"])),
    customerExclude: setting("customerExclude", rules.listOf(rules.customerTenantId, ["00000000-0000-0000-0000-000000000000"])),
    gdapRoles: setting("gdapRoles", rules.listOf(rules.gdapRole, ["User Administrator", "Security Reader"])),
    administrators: setting("administrators", rules.listOf(rules.objectId, ["00000000-0000-0000-0000-000000000000"])),
    secretReaders: setting("secretReaders", rules.listOf(rules.objectId, ["00000000-0000-0000-0000-000000000000"])),
    secretWriters: setting("secretWriters", rules.listOf(rules.objectId, ["00000000-0000-0000-0000-000000000000"])),
    allowedIpRanges: setting("allowedIpRanges", rules.listOf(rules.ipv4Range, ["203.0.113.0/24", "198.51.100.7"])),
    authorityHost: setting("authorityHost", rules.httpsOrigin("https://login.microsoftonline.us")),
    partnerCenterEndpoint: setting("partnerCenterEndpoint", rules.httpsOrigin(PUBLIC_PARTNER_CENTER_ENDPOINT)),
    graphEndpoint: setting("graphEndpoint", rules.httpsOrigin("https://graph.microsoft.us")),
    softDeleteRetentionDays: setting("softDeleteRetentionDays", rules.wholeNumber(7, 90, 90)),
    purgeProtection: setting("purgeProtection", rules.flag),
    protectVault: setting("protectVault", rules.flag),
    alertEmails: setting("alertEmails", rules.listOf(rules.emailAddress, ["oncall@contoso.com"])),
    alertWebhooks: setting("alertWebhooks", rules.listOf(rules.httpsWebhook, ["https://contoso.webhook.office.com/…"])),
  };

  const rotationDays = config.clientSecretRotationDays ?? PROJECT_SETTINGS.clientSecretRotationDays;
  const graceDays = config.clientSecretGraceDays ?? PROJECT_SETTINGS.clientSecretGraceDays;
  if (rotationDays + graceDays > MAX_CLIENT_SECRET_LIFETIME_DAYS) {
    problem(
      key("clientSecretRotationDays"),
      `plus ${key("clientSecretGraceDays")} is the app credential's lifetime, which must not exceed ${MAX_CLIENT_SECRET_LIFETIME_DAYS} days`,
      "150 (with a grace of 30)",
    );
  }
  const administrators = config.administrators ?? [];
  const doubled = (config.secretWriters ?? []).filter((id) => administrators.includes(id));
  if (doubled.length > 0) {
    problem(
      key("secretWriters"),
      `must not repeat ids listed in ${key("administrators")}, which already get Key Vault Secrets Officer (Azure refuses a duplicate role assignment)`,
      "only ids that are not administrators",
    );
  }
  const repository = setting("githubRepository", rules.githubRepository);
  const environment = setting("githubEnvironment", rules.githubEnvironment);
  const deployEnvironment = setting("githubDeployEnvironment", rules.githubEnvironment);
  const repositorySet = Boolean(values[key("githubRepository")]);
  const environmentSet = Boolean(values[key("githubEnvironment")]);
  const deployEnvironmentSet = Boolean(values[key("githubDeployEnvironment")]);
  if (repositorySet && !environmentSet && !deployEnvironmentSet) {
    problem(
      key("githubEnvironment"),
      `must be set together with ${key("githubRepository")} (or ${key("githubDeployEnvironment")}, for the rotation workflow's identity alone)`,
      rules.githubEnvironment.example,
    );
  }
  if (environmentSet && !repositorySet) {
    problem(key("githubRepository"), `must be set together with ${key("githubEnvironment")}`, rules.githubRepository.example);
  }
  if (deployEnvironmentSet && !repositorySet) {
    problem(key("githubRepository"), `must be set together with ${key("githubDeployEnvironment")}`, rules.githubRepository.example);
  }
  if (deployEnvironment !== undefined && deployEnvironment === environment) {
    problem(
      key("githubDeployEnvironment"),
      `must differ from ${key("githubEnvironment")}: the identity that runs \`pulumi up\` is stronger than the refresher's and needs an environment of its own`,
      "partner-center-deploy",
    );
  }
  if (deployEnvironmentSet && administrators.length === 0) {
    problem(
      key("administrators"),
      `must list the people (or identities) who own the stack when ${key("githubDeployEnvironment")} is set: ` +
        "otherwise every workflow run would make its identity the only owner of the app and the only vault administrator",
      "[\"00000000-0000-0000-0000-000000000000\"]",
    );
  }
  problems.push(...unknownSettings(values, project));
  if (problems.length > 0) throw new ConfigValidationError(problems, origin);

  return {
    project,
    stack,
    location: location as string,
    resourceGroupName: resourceGroupName ?? defaultResourceGroupName(project, stack),
    useExistingResourceGroup: resourceGroupName !== undefined,
    ...(keyVaultName === undefined ? {} : { keyVaultName }),
    appDisplayName: appDisplayName ?? defaultAppDisplayName(stack),
    redirectUri: config.redirectUri ?? PROJECT_SETTINGS.redirectUri,
    appCredential: config.appCredential ?? PROJECT_SETTINGS.appCredential,
    clientSecretRotationDays: rotationDays,
    clientSecretGraceDays: graceDays,
    grantAdminConsent: config.grantAdminConsent ?? PROJECT_SETTINGS.grantAdminConsent,
    graphScopes: (config.graphScopes ?? []).filter((name) => !SIGN_IN_SCOPE_NAMES.has(name)),
    multiTenant: config.multiTenant ?? PROJECT_SETTINGS.multiTenant,
    customerGraphScopes: config.customerGraphScopes ?? [],
    customerInclude: config.customerInclude ?? [],
    customerExclude: config.customerExclude ?? [],
    gdapRoles: config.gdapRoles ?? [],
    administrators,
    secretReaders: config.secretReaders ?? [],
    secretWriters: config.secretWriters ?? [],
    allowedIpRanges: config.allowedIpRanges ?? [],
    authorityHost: config.authorityHost ?? PROJECT_SETTINGS.authorityHost,
    partnerCenterEndpoint: config.partnerCenterEndpoint ?? PROJECT_SETTINGS.partnerCenterEndpoint,
    graphEndpoint: config.graphEndpoint ?? PROJECT_SETTINGS.graphEndpoint,
    softDeleteRetentionDays: config.softDeleteRetentionDays ?? PROJECT_SETTINGS.softDeleteRetentionDays,
    purgeProtection: config.purgeProtection ?? PROJECT_SETTINGS.purgeProtection,
    protectVault: config.protectVault ?? PROJECT_SETTINGS.protectVault,
    alertEmails: config.alertEmails ?? [],
    alertWebhooks: config.alertWebhooks ?? [],
    ...(repository && environment ? { githubRefresher: { repository, environment } } : {}),
    ...(repository && deployEnvironment ? { githubDeployer: { repository, environment: deployEnvironment } } : {}),
  };
}

function unknownSettings(values: Record<string, string | undefined>, project: string): ConfigProblem[] {
  const known = Object.keys(PROJECT_SETTINGS);
  return Object.keys(values)
    .filter((k) => k.startsWith(`${project}:`) && !known.includes(k.slice(project.length + 1)))
    .map((k) => {
      const name = k.slice(project.length + 1);
      const match = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
      return {
        key: k,
        rule: `is not a setting of this project${match ? ` (did you mean ${project}:${match}?)` : ""}`,
        example: `\`pulumi config rm ${k}\`; settings: ${known.join(", ")}`,
      };
    });
}
