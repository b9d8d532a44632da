import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { AZURE_AD_TOKEN_EXCHANGE_AUDIENCE, GITHUB_OIDC_ISSUER } from "./constants";
import { assignVaultRole } from "./vault-role";

/** Arguments of {@link GitHubRefresher}. */
export interface GitHubRefresherArgs {
  /** `owner/name` of the repository whose workflow refreshes the token. */
  repository: string;
  /** The GitHub deployment environment the workflow job runs in. */
  environment: string;
  displayName: string;
  /** Object ids of the app's and its service principal's owners. */
  owners: pulumi.Input<pulumi.Input<string>[]>;
  vaultId: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
}

/** The OIDC subject GitHub Actions presents for a job in `environment` of `repository`. */
export function githubEnvironmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/**
 * The identity of the scheduled refresh job: an app registration that GitHub
 * Actions signs in to with OIDC (a federated credential, no stored secret),
 * allowed to read and write the vault's secrets.
 */
export class GitHubRefresher extends pulumi.ComponentResource {
  readonly clientId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;

  constructor(name: string, args: GitHubRefresherArgs, opts?: pulumi.ComponentResourceOptions) {
    super("partner-center-sam:index:GitHubRefresher", name, {}, opts);
    const child = { parent: this };

    const app = new azuread.Application(
      "app",
      { displayName: args.displayName, signInAudience: "AzureADMyOrg", owners: args.owners },
      child,
    );
    new azuread.ApplicationFederatedIdentityCredential(
      "github-environment",
      {
        applicationId: app.id,
        displayName: `github-${args.repository}-${args.environment}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120),
        description: `GitHub Actions jobs of ${args.repository} in environment ${args.environment}`,
        issuer: GITHUB_OIDC_ISSUER,
        subject: githubEnvironmentSubject(args.repository, args.environment),
        audiences: [AZURE_AD_TOKEN_EXCHANGE_AUDIENCE],
      },
      child,
    );
    const servicePrincipal = new azuread.ServicePrincipal("app", { clientId: app.clientId, owners: args.owners }, child);
    assignVaultRole(
      "secrets-officer",
      {
        vaultId: args.vaultId,
        subscriptionId: args.subscriptionId,
        role: "secretsOfficer",
        principalId: servicePrincipal.objectId,
        principalType: "ServicePrincipal",
      },
      child,
    );

    this.clientId = app.clientId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    this.registerOutputs({ clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipalObjectId });
  }
}
