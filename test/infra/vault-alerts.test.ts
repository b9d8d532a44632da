/**
 * The dead-man's switch under the mocks: `alertEmails` / `alertWebhooks` add an
 * action group, an Event Grid system topic on the vault and an event
 * subscription for the watched secrets' expiry, delivered to Azure Monitor
 * alerts — protected like the vault — and nothing at all when neither is set.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "./config-problems";
import { parseStackConfig, readStackConfig } from "../../infra/config";
import { PartnerCenterSam, argsFromStackConfig, resolvePartnerCenterSamArgs } from "../../infra/partner-center-sam";
import { StackOutputs, definePartnerCenterSam, secretNamesFor, watchedSecrets } from "../../infra/program";
import { DEFAULT_SECRET_NAMES } from "../../bootstrap/src/core/contract";
import { FAKE, RecordedResource, StackRun, TYPES, ofType, runStack, single } from "./pulumi-mocks";

const P = "partner-center-sam";
const LOCATION = { "azure-native:location": "westeurope" };
const HOOK = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=very-secret-signature";
const ALERTS = { ...LOCATION, [`${P}:alertEmails`]: '["oncall@contoso.com","partner-admin@contoso.com"]', [`${P}:alertWebhooks`]: JSON.stringify([HOOK]) };
const ALERT_TYPES = [TYPES.vaultAlerts, TYPES.actionGroup, TYPES.systemTopic, TYPES.eventSubscription, TYPES.static];

const program = () => definePartnerCenterSam(readStackConfig());

describe("alert settings, as configuration", () => {
  it("default to no receivers", () => {
    const config = parseStackConfig(LOCATION, P, "dev");
    expect([config.alertEmails, config.alertWebhooks]).toEqual([[], []]);
  });

  it("take lists of e-mail addresses and https URLs, naming a bad item by position and never quoting a URL", () => {
    const problems = problemsOf({
      ...LOCATION,
      [`${P}:alertEmails`]: '["oncall@contoso.com","not-an-address"]',
      [`${P}:alertWebhooks`]: '["http://hooks.example.com/secret-one","https://user:pw@example.com/secret-two"]',
    });
    expect(problems).toEqual([
      { key: `${P}:alertEmails`, rule: "must be a list of e-mail addresses; item 1 is not an e-mail address", example: '["oncall@contoso.com"]' },
      {
        key: `${P}:alertWebhooks`,
        rule: "must be a list of https:// webhook URLs; item 0 is not an https:// URL; item 1 carries a user name or password",
        example: '["https://contoso.webhook.office.com/…"]',
      },
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/secret-one|secret-two/);
  });

  it("are component arguments that round-trip with the stack configuration", () => {
    const config = parseStackConfig(ALERTS, P, "dev");
    expect(resolvePartnerCenterSamArgs(argsFromStackConfig(config), P, "dev")).toEqual(config);
  });

  it("watch every secret of the stack but the client and tenant ids: the refresh token and the app credential the stack keeps", () => {
    expect(watchedSecrets(secretNamesFor("certificate"))).toEqual([DEFAULT_SECRET_NAMES.refreshToken, DEFAULT_SECRET_NAMES.clientCertificate]);
    expect(watchedSecrets(secretNamesFor("secret"))).toEqual([DEFAULT_SECRET_NAMES.refreshToken, DEFAULT_SECRET_NAMES.clientSecret]);
    expect(watchedSecrets({ ...secretNamesFor("secret"), clientCertificate: "partnercenter-client-certificate" })).toContain("partnercenter-client-certificate");
  });
});

describe("a stack with alertEmails and alertWebhooks, under the mocks", () => {
  let run: StackRun<StackOutputs>;
  let byType: (type: string) => RecordedResource;

  beforeAll(async () => {
    run = await runStack(ALERTS, program);
    byType = (type) => {
      const found = ofType(run.resources, type);
      expect(found, type).toHaveLength(1);
      return found[0]!;
    };
  });

  it("creates an action group with the e-mail and webhook receivers, common alert schema on, the webhook kept secret", () => {
    const group = byType(TYPES.actionGroup);
    expect(group.inputs).toMatchObject({
      location: "Global",
      enabled: true,
      groupShortName: "pcsam-dev",
      resourceGroupName: "rg-partner-center-sam-dev",
      emailReceivers: [
        { name: "email-0", emailAddress: "oncall@contoso.com", useCommonAlertSchema: true },
        { name: "email-1", emailAddress: "partner-admin@contoso.com", useCommonAlertSchema: true },
      ],
      webhookReceivers: [{ name: "webhook-0", serviceUri: HOOK, useCommonAlertSchema: true }],
    });
    expect(group.secretInputs).toContain("webhookReceivers");
    expect(run.secretOutputs).toEqual([]);
  });

  it("creates an Event Grid system topic on the Key Vault, in the vault's region", () => {
    const vault = single(run.resources, TYPES.vault, "vault");
    expect(byType(TYPES.systemTopic).inputs).toMatchObject({ topicType: "Microsoft.KeyVault.vaults", source: vault.id, location: "westeurope" });
  });

  it("subscribes to SecretNearExpiry and SecretExpired of the refresh token and the certificate only, delivered to Azure Monitor alerts with the action group", () => {
    const subscription = byType(TYPES.eventSubscription);
    const topic = byType(TYPES.systemTopic);
    const group = byType(TYPES.actionGroup);
    expect(subscription.inputs).toMatchObject({
      systemTopicName: topic.state["name"],
      eventSubscriptionName: "secret-expiry",
      eventDeliverySchema: "CloudEventSchemaV1_0",
      filter: {
        includedEventTypes: ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"],
        advancedFilters: [{ operatorType: "StringIn", key: "subject", values: ["partnercenter-refresh-token", "partnercenter-client-certificate"] }],
      },
      destination: { endpointType: "MonitorAlert", severity: "Sev2", actionGroups: [group.id], description: expect.stringContaining("npm run refresh") },
    });
    expect(subscription.inputs["filter"]["advancedFilters"][0].values).not.toContain("partnercenter-client-id");
  });

  it("puts the alerts under the stack's component and protects every alert resource, like the vault", () => {
    const component = byType(TYPES.vaultAlerts);
    for (const type of ALERT_TYPES) expect(byType(type).protect, type).toBe(true);
    for (const type of ALERT_TYPES.slice(1)) expect(byType(type).parent, type).toBe(component.urn);
  });

  it("exports the action group's id and when the alerts began, not as secrets", () => {
    expect(run.outputs["alertActionGroupId"]).toBe(byType(TYPES.actionGroup).id);
    expect(run.outputs["alertActionGroupId"]).toMatch(new RegExp(`^/subscriptions/${FAKE.subscriptionId}/resourceGroups/rg-partner-center-sam-dev/providers/microsoft.insights/actionGroups/`));
    expect(run.outputs["alertsSince"]).toBe(FAKE.now);
  });
});

describe("the PartnerCenterSam component with alert arguments", () => {
  it("offers the action group id and the start of the alerts as properties", async () => {
    const { outputs } = await runStack({}, () => {
      const sam = new PartnerCenterSam(P, { location: "westeurope", alertEmails: ["oncall@contoso.com"] });
      return { alertActionGroupId: sam.alertActionGroupId, alertsSince: sam.alertsSince };
    });
    expect(outputs["alertActionGroupId"]).toMatch(/\/providers\/microsoft\.insights\/actionGroups\//);
    expect(outputs["alertsSince"]).toBe(FAKE.now);
  });
});

describe("alerts and protectVault", () => {
  it("leaves the alert resources unprotected when protectVault is false", async () => {
    const { resources } = await runStack({ ...ALERTS, [`${P}:protectVault`]: "false" }, program);
    for (const type of ALERT_TYPES) expect(ofType(resources, type).map((r) => r.protect), type).toEqual([false]);
  });

  it("with e-mails alone creates an action group without webhook receivers", async () => {
    const { resources } = await runStack({ ...LOCATION, [`${P}:alertEmails`]: '["oncall@contoso.com"]' }, program);
    expect(ofType(resources, TYPES.actionGroup)[0]!.inputs["webhookReceivers"]).toEqual([]);
    expect(ofType(resources, TYPES.eventSubscription)).toHaveLength(1);
  });
});

describe("a stack without alert settings", () => {
  it("creates no alert resources, exports no alert outputs, and declares exactly the resources it declared before", async () => {
    const without = await runStack(LOCATION, program);
    for (const type of ALERT_TYPES) expect(ofType(without.resources, type), type).toEqual([]);
    expect(Object.keys(without.outputs)).not.toContain("alertActionGroupId");
    expect(Object.keys(without.outputs)).not.toContain("alertsSince");

    const withAlerts = await runStack(ALERTS, program);
    const shape = (rs: RecordedResource[]) => rs.filter((r) => !(ALERT_TYPES as readonly string[]).includes(r.type)).map((r) => ({ urn: r.urn, inputs: r.inputs, protect: r.protect }));
    expect(shape(withAlerts.resources)).toEqual(shape(without.resources));
  });
});
