/**
 * Stand-in for the Pulumi engine and the providers the stack uses (azure-native,
 * azuread, random, time), for in-process tests with `pulumi.runtime.setMocks`.
 *
 * It answers like the real providers do — computed ids, names, URIs, published
 * permission ids, a fixed clock for the rotation timer — and it is as strict as
 * they are: it rejects what Azure or Entra ID would reject (an invalid vault
 * name, `enablePurgeProtection: false`, malformed role definition ids, ...), it
 * never returns a secret's value from Key Vault, and it honours
 * `additionalSecretOutputs` the way the engine does.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import forge from "node-forge";

/** The identities and clock the stand-in reports. */
export const FAKE = {
  tenantId: "7d2c6a1e-0f3b-4d7e-9a55-2b1c8e4f6a90",
  subscriptionId: "5b0e9c4d-8a21-4f6b-b3d7-1e2f3a4b5c6d",
  deployerObjectId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  deployerClientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
  /** When the rotation timer was (re)created. */
  now: "2025-03-01T12:00:00Z",
  graphObjectId: "6f0a3b1c-2d4e-4f5a-8b6c-7d8e9f0a1b2c",
  partnerCenterObjectId: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
  /** A few delegated scopes Microsoft Graph publishes (name → id), as in every tenant. */
  graphScopes: {
    openid: "37f7f235-527c-4136-accd-4a02d197296e",
    profile: "14dad69e-099b-42c9-810b-d002981feec1",
    offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "DelegatedAdminRelationship.Read.All": "0c0064ea-477b-4130-82a5-4c2cc4ff68aa",
    "DelegatedAdminRelationship.ReadWrite.All": "885f682f-a990-4bad-a642-36736a74b0c7",
  } as Record<string, string>,
  partnerCenterScopes: { user_impersonation: "1cebfa2a-fb4d-419e-b5f9-839b4383e05a" } as Record<string, string>,
  /** Another identity that may run `pulumi up`: a CI service principal. */
  otherDeployerObjectId: "44444444-5555-4666-8777-888888888888",
  /** Directory objects the tenant holds besides the deployer: object id → type. */
  directory: {
    "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d": "User",
    "44444444-5555-4666-8777-888888888888": "ServicePrincipal",
    "11111111-2222-4333-8444-555555555555": "User",
    "22222222-3333-4444-8555-666666666666": "Group",
    "33333333-4444-4555-8666-777777777777": "ServicePrincipal",
  } as Record<string, string>,
} as const;

/** Type tokens of the resources the stack declares. */
export const TYPES = {
  stack: "pulumi:pulumi:Stack",
  keyVault: "partner-center-sam:index:KeyVault",
  partnerCenterApp: "partner-center-sam:index:PartnerCenterApp",
  vaultSecrets: "partner-center-sam:index:VaultSecrets",
  githubRefresher: "partner-center-sam:index:GitHubRefresher",
  githubDeployer: "partner-center-sam:index:GitHubDeployer",
  resourceGroup: "azure-native:resources:ResourceGroup",
  vault: "azure-native:keyvault:Vault",
  secret: "azure-native:keyvault:Secret",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  randomString: "random:index/randomString:RandomString",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  password: "azuread:index/applicationPassword:ApplicationPassword",
  grant: "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
  federatedCredential: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
  rotating: "time:index/rotating:Rotating",
  vaultAlerts: "partner-center-sam:index:VaultAlerts",
  actionGroup: "azure-native:monitor:ActionGroup",
  systemTopic: "azure-native:eventgrid:SystemTopic",
  eventSubscription: "azure-native:eventgrid:SystemTopicEventSubscription",
  static: "time:index/static:Static",
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certificate: "azuread:index/applicationCertificate:ApplicationCertificate",
} as const;

const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;

/** Resource properties: untyped JSON, which the tests index into freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- property bags from the wire have no static type
export type Properties = Record<string, any>;

/** The parts of the SDK's registration request the stand-in reads (protobuf getters). */
interface RegisterResourceRequest {
  getParent(): string;
  getAdditionalsecretoutputsList(): string[];
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getRetainondelete(): boolean | undefined;
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getReplacementTrigger?(): { toJavaScript(): unknown } | undefined;
  getAliasesList(): Array<{
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
  }>;
}

/** The parts of the SDK's MockMonitor the stand-in uses. */
interface MockMonitor {
  mocks: pulumi.runtime.Mocks;
  resources: Map<string, { urn: string; state?: unknown }>;
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, callback: unknown): unknown;
  signalAndWaitForShutdown?: (req: unknown, callback: (err: unknown, res: unknown) => void) => void;
}

/** One resource registration as the engine received it. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** The id the provider answered with (undefined for components). */
  id?: string;
  /** URN of the parent (the stack resource for top-level resources). */
  parent: string;
  custom: boolean;
  /** Inputs with secrets unwrapped. */
  inputs: Properties;
  /** Dotted paths of inputs sent as secrets. */
  secretInputs: string[];
  /** What the stand-in returned as the resource's state (secrets unwrapped). */
  state: Properties;
  deleteBeforeReplace: boolean;
  deleteBeforeReplaceDefined: boolean;
  retainOnDelete: boolean;
  protect: boolean;
  ignoreChanges: string[];
  /** The `replacementTrigger` option's value, when set: the engine replaces the resource when it changes. */
  replacementTrigger?: unknown;
  /** URNs of the resources this one explicitly depends on (`dependsOn`, and a component's children). */
  dependsOn: string[];
  /** Old names this resource was known by (`aliases` with a name). */
  aliasNames: string[];
  /** Every alias as the engine received it. */
  aliases: RecordedAlias[];
  additionalSecretOutputs: string[];
}

/** One alias: the parts of the former URN that differ (the engine fills in the rest from the resource). */
export interface RecordedAlias {
  name?: string;
  type?: string;
  /** The former parent's URN. */
  parentUrn?: string;
  /** True when the resource used to sit directly under the stack. */
  noParent?: boolean;
}

/** One provider function call. */
export interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
}

/** What a stack run produced. */
export interface StackRun<T> {
  /** The value the program returned (Outputs intact, for secret checks). */
  returned: T;
  /** The stack outputs as the engine received them, secrets unwrapped. */
  outputs: Properties;
  /** Dotted paths of stack outputs the engine received as secrets. */
  secretOutputs: string[];
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
}

/** The tenant and subscription as they are before the run. */
export interface World {
  /** Object id of the identity running `pulumi up` (default: FAKE.deployerObjectId). */
  caller?: string;
  /** Client ids of Microsoft applications the tenant has no service principal for. */
  tenantLacks?: string[];
  /** Resource groups that already exist: name → location. */
  resourceGroups?: Record<string, string>;
  /** Key Vaults that already exist, by name. */
  vaults?: Record<string, { resourceGroupName: string; location: string; softDeleteRetentionInDays: number; enablePurgeProtection?: boolean }>;
}

/** Options of {@link runStack}. */
export interface RunStackOptions {
  project?: string;
  stack?: string;
  preview?: boolean;
  world?: World;
}

/** The mocks: answers registrations and calls like the providers do, and records them. */
export class PulumiStandIn implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: RecordedInvoke[] = [];
  /** Warnings the program logged (`pulumi.log.warn`), when the stand-in captures them. */
  readonly warnings: string[] = [];
  /** Service principals created during the run, so directory look-ups find them (object id → type). */
  private readonly created = new Map<string, string>();
  /** The tenant's service principals of Microsoft applications: client id → object id and published scopes. */
  private readonly microsoftServicePrincipals = new Map<string, { objectId: string; scopes: Record<string, string> }>();
  private currentRequest: RegisterResourceRequest | undefined;
  private readonly newUrn: (parent: string, type: string, name: string) => string;

  constructor(
    private readonly monitor: MockMonitor,
    private readonly world: World = {},
  ) {
    for (const [clientId, objectId, scopes] of [
      [GRAPH_APP_ID, FAKE.graphObjectId, FAKE.graphScopes],
      [PARTNER_CENTER_APP_ID, FAKE.partnerCenterObjectId, FAKE.partnerCenterScopes],
    ] as const) {
      if (!world.tenantLacks?.includes(clientId)) this.microsoftServicePrincipals.set(clientId, { objectId, scopes });
    }
    this.newUrn = monitor.newUrn.bind(monitor);
    const register = monitor.registerResource.bind(monitor);
    // The mock monitor calls newResource synchronously: hand it the wire request so the
    // stand-in sees the options the engine would see.
    monitor.registerResource = (req: RegisterResourceRequest, callback: unknown) => {
      this.currentRequest = req;
      try {
        return register(req, callback);
      } finally {
        this.currentRequest = undefined;
      }
    };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.invokes.push({ token: args.token, inputs: args.inputs });
    const caller = this.world.caller ?? FAKE.deployerObjectId;
    switch (args.token) {
      case "azure-native:authorization:getClientConfig":
        return { clientId: FAKE.deployerClientId, objectId: caller, subscriptionId: FAKE.subscriptionId, tenantId: FAKE.tenantId };
      case "azuread:index/getClientConfig:getClientConfig":
        return { id: FAKE.tenantId, clientId: FAKE.deployerClientId, objectId: caller, tenantId: FAKE.tenantId };
      case "azuread:index/getServicePrincipals:getServicePrincipals": {
        // As the provider: every client id must match unless ignoreMissing is set.
        const clientIds = (args.inputs["clientIds"] ?? []) as string[];
        const found = clientIds.flatMap((clientId) => {
          const sp = this.microsoftServicePrincipals.get(clientId);
          return sp ? [{ clientId, objectId: sp.objectId }] : [];
        });
        if (found.length < clientIds.length && !args.inputs["ignoreMissing"]) throw new Error("one or more service principals not found");
        return {
          id: "service-principals",
          clientIds: found.map((sp) => sp.clientId),
          objectIds: found.map((sp) => sp.objectId),
          displayNames: found.map(() => "Microsoft"),
          servicePrincipals: found.map((sp) => ({ clientId: sp.clientId, objectId: sp.objectId })),
        };
      }
      case "azuread:index/getServicePrincipal:getServicePrincipal": {
        const entry = [...this.microsoftServicePrincipals].find(([, sp]) => sp.objectId === args.inputs["objectId"]);
        if (!entry) throw new Error(`service principal ${String(args.inputs["objectId"])} not found`);
        const [clientId, sp] = entry;
        return { id: sp.objectId, objectId: sp.objectId, clientId, oauth2PermissionScopeIds: sp.scopes };
      }
      case "azure-native:resources:getResourceGroup": {
        const name = String(args.inputs["resourceGroupName"]);
        const location = this.world.resourceGroups?.[name];
        if (location === undefined) throw new Error(`ResourceGroupNotFound: Resource group '${name}' could not be found.`);
        return { id: `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${name}`, name, location, properties: {} };
      }
      case "azure-native:keyvault:getVault": {
        const name = String(args.inputs["vaultName"]);
        const vault = this.world.vaults?.[name];
        if (!vault || vault.resourceGroupName !== args.inputs["resourceGroupName"]) {
          throw new Error(`ResourceNotFound: The Resource 'Microsoft.KeyVault/vaults/${name}' was not found.`);
        }
        return {
          id: `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${vault.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${name}`,
          name,
          location: vault.location,
          properties: {
            tenantId: FAKE.tenantId,
            softDeleteRetentionInDays: vault.softDeleteRetentionInDays,
            ...(vault.enablePurgeProtection === undefined ? {} : { enablePurgeProtection: vault.enablePurgeProtection }),
          },
        };
      }
      case "azuread:index/getDirectoryObject:getDirectoryObject": {
        const objectId = String(args.inputs["objectId"]);
        const type = this.directoryType(objectId);
        if (!type) throw new Error(`Request_ResourceNotFound: directory object ${objectId} does not exist`);
        return { id: objectId, objectId, type };
      }
      default:
        throw new Error(`stand-in: unexpected call ${args.token}`);
    }
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const req = this.currentRequest;
    const parent: string = req?.getParent() ?? "";
    const urn = this.newUrn(parent, args.type, args.name);
    const inputs = unwrapSecrets(args.inputs) as Properties;
    const { id, state }: { id: string | undefined; state: Record<string, unknown> } = args.custom
      ? answer(args.type, inputs, urn, {
          directoryType: (objectId) => this.directoryType(objectId),
          microsoftServicePrincipal: (clientId) => this.microsoftServicePrincipals.get(clientId),
        })
      : { id: undefined, state: {} };
    if (args.type === "azuread:index/servicePrincipal:ServicePrincipal") {
      this.created.set(String(state["objectId"]), "ServicePrincipal");
      const clientId = String(inputs["clientId"]);
      if (clientId === GRAPH_APP_ID || clientId === PARTNER_CENTER_APP_ID) {
        this.microsoftServicePrincipals.set(clientId, {
          objectId: String(state["objectId"]),
          scopes: state["oauth2PermissionScopeIds"] as Record<string, string>,
        });
      }
    }
    const additionalSecretOutputs: string[] = req?.getAdditionalsecretoutputsList() ?? [];
    const wireState: Record<string, unknown> = { ...args.inputs, ...state };
    for (const key of additionalSecretOutputs) {
      if (key in wireState) wireState[key] = { [SECRET_SIG_KEY]: SECRET_SIG, value: unwrapSecrets(wireState[key]) };
    }
    // Key Vault never returns a secret's value.
    if (args.type === "azure-native:keyvault:Secret") delete (wireState["properties"] as Record<string, unknown>)["value"];
    this.resources.push({
      type: args.type,
      name: args.name,
      urn,
      ...(id === undefined ? {} : { id }),
      parent,
      custom: Boolean(args.custom),
      inputs,
      secretInputs: secretPaths(args.inputs),
      state: unwrapSecrets(wireState) as Properties,
      deleteBeforeReplace: Boolean(req?.getDeletebeforereplace()),
      deleteBeforeReplaceDefined: Boolean(req?.getDeletebeforereplacedefined()),
      retainOnDelete: Boolean(req?.getRetainondelete()),
      protect: Boolean(req?.getProtect()),
      ignoreChanges: req?.getIgnorechangesList() ?? [],
      ...(req?.getReplacementTrigger?.() ? { replacementTrigger: unwrapSecrets(req.getReplacementTrigger()!.toJavaScript()) } : {}),
      dependsOn: req?.getDependenciesList() ?? [],
      aliasNames: (req?.getAliasesList() ?? []).flatMap((alias) => {
        const name = alias.getSpec()?.getName();
        return name ? [name] : [];
      }),
      aliases: (req?.getAliasesList() ?? []).flatMap((alias): RecordedAlias[] => {
        const spec = alias.getSpec();
        if (!spec) return [];
        return [
          {
            ...(spec.getName() ? { name: spec.getName() } : {}),
            ...(spec.getType() ? { type: spec.getType() } : {}),
            ...(spec.getParenturn() ? { parentUrn: spec.getParenturn() } : {}),
            ...(spec.getNoparent() ? { noParent: true } : {}),
          },
        ];
      }),
      additionalSecretOutputs,
    });
    return { id, state: wireState };
  }

  /** The stack outputs as the engine received them (secrets unwrapped), and which of them were secrets. */
  stackOutputs(): { outputs: Properties; secretOutputs: string[] } {
    const stack = [...this.monitor.resources.values()].find((r) => r.urn.includes("::pulumi:pulumi:Stack::"));
    const state = stack?.state as { toJavaScript?: () => unknown } | undefined;
    const wire = state?.toJavaScript ? state.toJavaScript() : (state ?? {});
    return { outputs: unwrapSecrets(wire) as Properties, secretOutputs: secretPaths(wire) };
  }

  private directoryType(objectId: string): string | undefined {
    return FAKE.directory[objectId] ?? this.created.get(objectId);
  }
}

/**
 * Installs the stand-in as the engine of a fresh mock stack; the Pulumi program
 * then runs against it as it would against the real engine. Synchronous (the
 * SDK's `setMocks` does all its work before its promise resolves), so a
 * `node --require` preload can install it before Pulumi's own runner starts.
 */
export function installStandIn(project: string, stack: string, preview = false, world: World = {}): PulumiStandIn {
  void pulumi.runtime.setMocks({ call: () => ({}), newResource: () => ({ id: "", state: {} }) }, project, stack, preview);
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor | undefined;
  if (typeof monitor?.newUrn !== "function") throw new Error("stand-in: setMocks did not install a mock monitor");
  const standIn = new PulumiStandIn(monitor, world);
  monitor.mocks = standIn;
  // The engine answers the program's shutdown handshake.
  monitor.signalAndWaitForShutdown = (_req: unknown, callback: (err: unknown, res: unknown) => void) => callback(null, {});
  return standIn;
}

/**
 * Runs `program` as the root of a fresh stack under the stand-in, with the given
 * configuration (fully qualified keys, values as the CLI passes them), waits
 * until every registration has been answered and returns what the engine saw.
 */
export async function runStack<T>(
  config: Record<string, string>,
  program: () => T,
  options: RunStackOptions = {},
): Promise<StackRun<T> & { standIn: PulumiStandIn }> {
  const project = options.project ?? "partner-center-sam";
  const stack = options.stack ?? "dev";
  const standIn = installStandIn(project, stack, options.preview ?? false, options.world);
  pulumi.runtime.setAllConfig(config);

  // Without an engine, Pulumi prints warnings to the console: record them instead.
  const log = pulumi.log as { warn: typeof pulumi.log.warn };
  const printWarning = log.warn;
  log.warn = (message: string) => {
    standIn.warnings.push(message);
    return Promise.resolve();
  };
  let returned: T | undefined;
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      returned = program();
      return returned;
    });
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } finally {
    log.warn = printWarning;
  }
  return { returned: returned as T, ...standIn.stackOutputs(), resources: standIn.resources, invokes: standIn.invokes, standIn };
}

/** The recorded resources of one type. */
export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one recorded resource with this type and name; fails when there is none or several. */
export function single(resources: readonly RecordedResource[], type: string, name: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0] as RecordedResource;
}

/** True when the input at `path` (dotted) reached the engine as a secret, itself or inside a secret object. */
export function sentAsSecret(resource: RecordedResource, path: string): boolean {
  return resource.secretInputs.some((secret) => path === secret || path.startsWith(`${secret}.`));
}

/** Resolves an Output (or plain value) to its value. */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** A stable GUID derived from a seed, as the services hand out fresh ids. */
export function stableGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What `answer` may look up in the tenant. */
interface Tenant {
  directoryType(objectId: string): string | undefined;
  microsoftServicePrincipal(clientId: string): { objectId: string; scopes: Record<string, string> } | undefined;
}

function answer(type: string, inputs: Properties, urn: string, tenant: Tenant): { id: string; state: Record<string, unknown> } {
  const directoryType = (objectId: string) => tenant.directoryType(objectId);
  const sub = `/subscriptions/${FAKE.subscriptionId}`;
  switch (type) {
    case "azure-native:resources:ResourceGroup": {
      check(inputs["location"], "ResourceGroup: location is required");
      const name = inputs["resourceGroupName"] ?? "rg-autonamed";
      return { id: `${sub}/resourceGroups/${name}`, state: { name, provisioningState: "Succeeded" } };
    }
    case "random:index/randomString:RandomString": {
      const result = randomString(urn, inputs);
      return { id: result, state: { result } };
    }
    case "azure-native:keyvault:Vault": {
      const name: string = inputs["vaultName"];
      const p = inputs["properties"] ?? {};
      check(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/.test(name ?? ""), `VaultNameNotValid: ${name}`);
      check(GUID.test(p.tenantId ?? ""), `Vault: tenantId must be a GUID, got ${p.tenantId}`);
      check(p.enablePurgeProtection !== false, "Vault: enablePurgeProtection does not accept false");
      check(p.softDeleteRetentionInDays >= 7 && p.softDeleteRetentionInDays <= 90, "Vault: softDeleteRetentionInDays must be 7-90");
      check(p.sku?.name === "standard" || p.sku?.name === "premium", "Vault: sku.name must be standard or premium");
      return {
        id: `${sub}/resourceGroups/${inputs["resourceGroupName"]}/providers/Microsoft.KeyVault/vaults/${name}`,
        state: { name, properties: { ...p, vaultUri: `https://${name}.vault.azure.net/`, provisioningState: "Succeeded" } },
      };
    }
    case "azure-native:keyvault:Secret": {
      const name: string = inputs["secretName"];
      check(/^[0-9A-Za-z-]{1,127}$/.test(name ?? ""), `Secret: invalid secret name ${name}`);
      const attributes = inputs["properties"]?.attributes ?? {};
      check(attributes.expires === undefined || Number.isInteger(attributes.expires), "Secret: expires must be unix seconds");
      const secretUri = `https://${inputs["vaultName"]}.vault.azure.net/secrets/${name}`;
      return {
        id: `${sub}/resourceGroups/${inputs["resourceGroupName"]}/providers/Microsoft.KeyVault/vaults/${inputs["vaultName"]}/secrets/${name}`,
        state: {
          name,
          properties: {
            ...inputs["properties"],
            attributes: { ...attributes, created: Date.parse(FAKE.now) / 1000, updated: Date.parse(FAKE.now) / 1000 },
            secretUri,
            secretUriWithVersion: `${secretUri}/${createHash("sha256").update(urn).digest("hex").slice(0, 32)}`,
          },
        },
      };
    }
    case "azure-native:authorization:RoleAssignment": {
      check(
        /^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/.test(inputs["roleDefinitionId"] ?? ""),
        `RoleAssignment: malformed roleDefinitionId ${inputs["roleDefinitionId"]}`,
      );
      check(GUID.test(inputs["principalId"] ?? ""), `RoleAssignment: principalId must be a GUID, got ${inputs["principalId"]}`);
      const actualType = directoryType(inputs["principalId"]);
      check(actualType, `PrincipalNotFound: principal ${inputs["principalId"]} does not exist in the directory`);
      check(
        inputs["principalType"] === actualType,
        `UnmatchedPrincipalType: principal ${inputs["principalId"]} has type ${actualType}, not ${inputs["principalType"]}`,
      );
      check(typeof inputs["scope"] === "string" && inputs["scope"].startsWith("/subscriptions/"), "RoleAssignment: scope is required");
      const name = stableGuid(urn);
      return { id: `${inputs["scope"]}/providers/Microsoft.Authorization/roleAssignments/${name}`, state: { name } };
    }
    case "azuread:index/application:Application": {
      check(inputs["displayName"], "Application: displayName is required");
      for (const uri of inputs["web"]?.redirectUris ?? []) {
        check(/^(https:\/\/|http:\/\/localhost)/.test(uri), `Application: redirect URI not allowed: ${uri}`);
      }
      for (const access of inputs["requiredResourceAccesses"] ?? []) {
        for (const permission of access.resourceAccesses) check(GUID.test(permission.id), `Application: bad permission id ${permission.id}`);
      }
      const objectId = stableGuid(`${urn}#object`);
      return { id: `/applications/${objectId}`, state: { objectId, clientId: stableGuid(`${urn}#client`), publisherDomain: "contoso.onmicrosoft.com" } };
    }
    case "azuread:index/servicePrincipal:ServicePrincipal": {
      const clientId: string = inputs["clientId"];
      check(GUID.test(clientId ?? ""), `ServicePrincipal: clientId must be a GUID, got ${clientId}`);
      const existing = tenant.microsoftServicePrincipal(clientId);
      // As Entra ID: an application has at most one service principal per tenant; useExisting adopts it.
      check(!existing || inputs["useExisting"], `ServicePrincipal: a service principal for ${clientId} already exists`);
      const published =
        clientId === GRAPH_APP_ID ? FAKE.graphScopes : clientId === PARTNER_CENTER_APP_ID ? FAKE.partnerCenterScopes : {};
      const objectId = existing?.objectId ?? stableGuid(`${urn}#object`);
      return { id: `/servicePrincipals/${objectId}`, state: { objectId, oauth2PermissionScopeIds: published } };
    }
    case "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant":
      check(GUID.test(inputs["servicePrincipalObjectId"] ?? ""), "Grant: servicePrincipalObjectId must be a GUID");
      check(GUID.test(inputs["resourceServicePrincipalObjectId"] ?? ""), "Grant: resourceServicePrincipalObjectId must be a GUID");
      check((inputs["claimValues"] ?? []).length > 0, "Grant: claimValues must not be empty");
      return { id: stableGuid(urn), state: {} };
    case "time:index/rotating:Rotating": {
      const base = inputs["rfc3339"] ?? FAKE.now;
      const rotationRfc3339 = new Date(Date.parse(base) + (inputs["rotationDays"] ?? 0) * DAY_MS).toISOString().replace(".000Z", "Z");
      return { id: base, state: { rfc3339: base, rotationRfc3339, unix: Date.parse(base) / 1000 } };
    }
    case "azuread:index/applicationPassword:ApplicationPassword": {
      const applicationId: string = inputs["applicationId"];
      check(/^\/applications\/[0-9a-f-]{36}$/.test(applicationId ?? ""), `ApplicationPassword: applicationId must be /applications/<objectId>, got ${applicationId}`);
      const endDate: string = inputs["endDate"] ?? new Date(Date.parse(FAKE.now) + 730 * DAY_MS).toISOString();
      check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(endDate), `ApplicationPassword: endDate is not RFC 3339: ${endDate}`);
      check(Date.parse(endDate) > Date.parse(FAKE.now), "ApplicationPassword: endDate must be in the future");
      const keyId = stableGuid(`${urn}#key`);
      return {
        id: `${applicationId}/password/${keyId}`,
        state: { keyId, startDate: FAKE.now, endDate, value: `pw~${createHash("sha256").update(urn).digest("base64url").slice(0, 36)}` },
      };
    }
    case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": {
      check(/^\/applications\/[0-9a-f-]{36}$/.test(inputs["applicationId"] ?? ""), "FederatedCredential: applicationId must be /applications/<objectId>");
      check(/^[A-Za-z0-9_-]{3,120}$/.test(inputs["displayName"] ?? ""), `FederatedCredential: invalid name ${inputs["displayName"]}`);
      check(String(inputs["issuer"]).startsWith("https://"), "FederatedCredential: issuer must be https");
      const credentialId = stableGuid(urn);
      return { id: `${inputs["applicationId"]}/federatedIdentityCredential/${credentialId}`, state: { credentialId } };
    }
    case "azure-native:monitor:ActionGroup": {
      check(/^.{1,12}$/.test(inputs["groupShortName"] ?? ""), "ActionGroup: groupShortName is required, at most 12 characters");
      check(inputs["enabled"] !== undefined, "ActionGroup: enabled is required");
      const receivers = [...(inputs["emailReceivers"] ?? []), ...(inputs["webhookReceivers"] ?? [])] as { name: string }[];
      check(new Set(receivers.map((r) => r.name)).size === receivers.length, "ActionGroup: receiver names must be unique");
      const name = `ag-${stableGuid(urn).slice(0, 8)}`;
      return { id: `${sub}/resourceGroups/${inputs["resourceGroupName"]}/providers/microsoft.insights/actionGroups/${name}`, state: { name } };
    }
    case "azure-native:eventgrid:SystemTopic": {
      check(inputs["topicType"] && inputs["source"] && inputs["location"], "SystemTopic: topicType, source and location are required");
      const name = `st-${stableGuid(urn).slice(0, 8)}`;
      return { id: `${sub}/resourceGroups/${inputs["resourceGroupName"]}/providers/Microsoft.EventGrid/systemTopics/${name}`, state: { name, metricResourceId: stableGuid(`${urn}#metric`) } };
    }
    case "azure-native:eventgrid:SystemTopicEventSubscription": {
      const name = inputs["eventSubscriptionName"] ?? "autonamed";
      check(/^[A-Za-z0-9-]{3,64}$/.test(name), `EventSubscription: invalid name ${name}`);
      check(inputs["systemTopicName"], "EventSubscription: systemTopicName is required");
      return { id: `${sub}/resourceGroups/${inputs["resourceGroupName"]}/providers/Microsoft.EventGrid/systemTopics/${inputs["systemTopicName"]}/eventSubscriptions/${name}`, state: { name, provisioningState: "Succeeded" } };
    }
    case "time:index/static:Static": {
      const rfc3339 = inputs["rfc3339"] ?? FAKE.now;
      return { id: rfc3339, state: { rfc3339, unix: Date.parse(rfc3339) / 1000 } };
    }
    case "tls:index/privateKey:PrivateKey": {
      check(inputs["algorithm"] === "RSA", `PrivateKey: algorithm ${inputs["algorithm"]} is not what this stack uses`);
      const bits = inputs["rsaBits"] ?? 2048;
      const pem = rsaKey(urn, bits);
      const pkcs1 = forge.pki.privateKeyToPem(forge.pki.privateKeyFromPem(pem));
      return { id: createHash("sha1").update(pem).digest("hex"), state: { privateKeyPem: pkcs1, privateKeyPemPkcs8: pem, rsaBits: bits } };
    }
    case "tls:index/selfSignedCert:SelfSignedCert": {
      const hours: number = inputs["validityPeriodHours"];
      check(Number.isInteger(hours) && hours > 0, "SelfSignedCert: validityPeriodHours must be a positive whole number");
      check(typeof inputs["privateKeyPem"] === "string" && inputs["privateKeyPem"].includes("PRIVATE KEY"), "SelfSignedCert: privateKeyPem is required");
      check((inputs["allowedUses"] ?? []).length > 0, "SelfSignedCert: allowedUses is required");
      const start = new Date(FAKE.now);
      const end = new Date(start.getTime() + hours * 3_600_000);
      const certPem = selfSignedCertificate(inputs["privateKeyPem"], inputs["subject"]?.commonName ?? "", start, end);
      return {
        id: createHash("sha1").update(certPem).digest("hex"),
        state: { certPem, validityStartTime: start.toISOString().replace(".000Z", "Z"), validityEndTime: end.toISOString().replace(".000Z", "Z"), readyForRenewal: false },
      };
    }
    case "azuread:index/applicationCertificate:ApplicationCertificate": {
      const applicationId: string = inputs["applicationId"];
      check(/^\/applications\/[0-9a-f-]{36}$/.test(applicationId ?? ""), `ApplicationCertificate: applicationId must be /applications/<objectId>, got ${applicationId}`);
      check(inputs["type"] === "AsymmetricX509Cert" || inputs["type"] === "Symmetric", `ApplicationCertificate: type ${inputs["type"]}`);
      check(inputs["encoding"] !== "pem" || String(inputs["value"]).startsWith("-----BEGIN CERTIFICATE-----"), "ApplicationCertificate: value is not a PEM certificate");
      // As Entra ID: a key credential may not outlive, or start before, its certificate.
      const certificate = forge.pki.certificateFromPem(inputs["value"]);
      check(Date.parse(inputs["endDate"]) <= certificate.validity.notAfter.getTime(), "ApplicationCertificate: Key credential end date is invalid (after the certificate's)");
      check(Date.parse(inputs["startDate"]) >= certificate.validity.notBefore.getTime(), "ApplicationCertificate: Key credential start date is invalid (before the certificate's)");
      const keyId = stableGuid(`${urn}#key`);
      return { id: `${applicationId}/certificate/${keyId}`, state: { keyId } };
    }
    default:
      throw new Error(`stand-in: unexpected resource type ${type}`);
  }
}

/** RSA keys by URN: one generation per resource per test process (key generation is slow). */
const rsaKeys = new Map<string, string>();

function rsaKey(urn: string, bits: number): string {
  const id = `${urn}#${bits}`;
  let pem = rsaKeys.get(id);
  if (!pem) {
    pem = generateKeyPairSync("rsa", { modulusLength: bits }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    rsaKeys.set(id, pem);
  }
  return pem;
}

/** A self-signed certificate for the key, as the tls provider makes one. */
function selfSignedCertificate(privateKeyPem: string, commonName: string, notBefore: Date, notAfter: Date): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = createHash("sha256").update(privateKeyPem).digest("hex").slice(0, 30).replace(/^[89a-f]/, "1");
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer([{ name: "commonName", value: commonName }]);
  cert.setExtensions([{ name: "keyUsage", digitalSignature: true, critical: true }]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function check(condition: unknown, message: string): void {
  if (!condition) throw new Error(message);
}

function randomString(urn: string, inputs: Properties): string {
  const charset =
    (inputs["lower"] === false ? "" : "abcdefghijklmnopqrstuvwxyz") +
    (inputs["upper"] === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ") +
    (inputs["numeric"] === false ? "" : "0123456789") +
    (inputs["special"] === false ? "" : "!@#$%&*()-_=+[]{}<>:?");
  const bytes = createHash("sha256").update(urn).digest();
  return Array.from({ length: inputs["length"] }, (_, i) => charset[(bytes[i % bytes.length] as number) % charset.length]).join("");
}

function isSecretWrapper(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function unwrapSecrets(value: unknown): unknown {
  if (isSecretWrapper(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

function secretPaths(value: unknown, path = ""): string[] {
  if (isSecretWrapper(value)) return [path];
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => secretPaths(v, path ? `${path}.${k}` : k));
  }
  return [];
}
