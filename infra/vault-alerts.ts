import * as eventgrid from "@pulumi/azure-native/eventgrid";
import * as monitor from "@pulumi/azure-native/monitor";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";

/** The Key Vault events that mean "a watched secret is about to die, or died" (learn.microsoft.com/azure/event-grid/event-schema-key-vault). */
export const EXPIRY_EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"] as const;

/** Severity of the alert each event raises: Sev2 ("warning"), for something a person must fix within days. */
export const ALERT_SEVERITY = "Sev2";

/** Arguments of {@link VaultAlerts}. */
export interface VaultAlertsArgs {
  resourceGroupName: pulumi.Input<string>;
  /** Region of the vault: a system topic lives where its source does. */
  location: string;
  vaultId: pulumi.Input<string>;
  /** Names of the secrets whose expiry raises an alert (the others in the vault raise nothing). */
  watchedSecrets: string[];
  /** E-mail receivers of the action group. */
  emails: string[];
  /** Webhook receivers (credentials: kept as Pulumi secrets in the state). */
  webhooks: pulumi.Input<string[]>;
  /** The action group's short name (at most 12 characters; shown in e-mails and SMS). */
  shortName: string;
  tags: Record<string, string>;
}

/**
 * The dead-man's switch: no code of this project runs. Key Vault raises
 * `SecretNearExpiry` 30 days before, and `SecretExpired` at, the expiry of the
 * current version of a secret; an Event Grid system topic on the vault routes
 * those of the watched secrets to the Azure Monitor alerts destination, which
 * fires an alert that the action group sends by e-mail and webhook.
 *
 * Checked against azure-native 3.28 (`eventgrid/systemTopicEventSubscription.d.ts`,
 * `types/input.d.ts`: `MonitorAlertEventSubscriptionDestinationArgs` with
 * `endpointType: "MonitorAlert"`, `severity`, `actionGroups`, `description`) and
 * Microsoft's docs: Key Vault is the only source the Azure Monitor alerts handler
 * accepts (learn.microsoft.com/azure/event-grid/event-handlers, "Azure Monitor
 * alerts (from Azure Key Vault source only)"); the subject of a Key Vault event
 * is the object's name (event-schema-key-vault, examples); events fire only
 * for versions written after the subscription exists (key-vault/general/
 * event-grid-overview) — hence {@link VaultAlerts.since}.
 */
export class VaultAlerts extends pulumi.ComponentResource {
  readonly actionGroupId: pulumi.Output<string>;
  /** When the alerts were first deployed (RFC 3339); secret versions written before raise no event. */
  readonly since: pulumi.Output<string>;

  constructor(name: string, args: VaultAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:VaultAlerts", name, {}, opts);
    const child = { parent: this };

    const actionGroup = new monitor.ActionGroup(
      "action-group",
      {
        resourceGroupName: args.resourceGroupName,
        // Action groups are global resources.
        location: "Global",
        groupShortName: args.shortName,
        enabled: true,
        emailReceivers: args.emails.map((emailAddress, i) => ({ name: `email-${i}`, emailAddress, useCommonAlertSchema: true })),
        webhookReceivers: pulumi
          .secret(pulumi.output(args.webhooks))
          .apply((urls) => urls.map((serviceUri, i) => ({ name: `webhook-${i}`, serviceUri, useCommonAlertSchema: true }))),
        tags: args.tags,
      },
      child,
    );

    const topic = new eventgrid.SystemTopic(
      "key-vault-events",
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        source: args.vaultId,
        topicType: "Microsoft.KeyVault.vaults",
        tags: args.tags,
      },
      child,
    );

    new eventgrid.SystemTopicEventSubscription(
      "secret-expiry",
      {
        resourceGroupName: args.resourceGroupName,
        systemTopicName: topic.name,
        eventSubscriptionName: "secret-expiry",
        // The Azure Monitor alerts destination takes CloudEvents 1.0 (Microsoft's "Azure Monitor alerts as a
        // destination" how-to selects this schema); the filter below uses only fields both schemas have.
        eventDeliverySchema: "CloudEventSchemaV1_0",
        filter: {
          includedEventTypes: [...EXPIRY_EVENT_TYPES],
          advancedFilters: [{ operatorType: "StringIn", key: "subject", values: [...args.watchedSecrets] }],
        },
        destination: {
          endpointType: "MonitorAlert",
          severity: ALERT_SEVERITY,
          actionGroups: [actionGroup.id],
          description:
            "A Partner Center SAM secret expires within 30 days, or expired. Refresh token: run `npm run refresh` and check the scheduled refresh; " +
            "client secret: run `pulumi up` (the rotation job).",
        },
      },
      child,
    );

    // The time the alerts were first deployed, kept in the state: `status` compares it with the secrets' last writes.
    this.since = new time.Static("alerts-since", {}, child).rfc3339;
    this.actionGroupId = actionGroup.id;
    this.registerOutputs({ actionGroupId: this.actionGroupId, since: this.since });
  }
}
