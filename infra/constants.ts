/**
 * Well-known identifiers the stack relies on: first-party application ids,
 * published permission ids, built-in Azure role ids and the GitHub OIDC issuer.
 */

/** Partner Center API (first-party application id). */
export const PARTNER_CENTER_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd";

/** Partner Center's delegated `user_impersonation` permission. */
export const PARTNER_CENTER_USER_IMPERSONATION = {
  name: "user_impersonation",
  id: "1cebfa2a-fb4d-419e-b5f9-839b4383e05a",
} as const;

/** Microsoft Graph (first-party application id). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The delegated Graph scopes every sign-in needs, with their published ids, in grant order. */
export const GRAPH_SIGN_IN_SCOPES: ReadonlyArray<{ readonly name: string; readonly id: string }> = [
  { name: "openid", id: "37f7f235-527c-4136-accd-4a02d197296e" },
  { name: "profile", id: "14dad69e-099b-42c9-810b-d002981feec1" },
  { name: "offline_access", id: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182" },
];

/** Built-in role "Key Vault Secrets Officer": read, write and delete secrets. */
export const KEY_VAULT_SECRETS_OFFICER_ROLE_ID = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

/** Built-in role "Key Vault Secrets User": read secret contents. */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

/** Issuer of GitHub Actions OIDC tokens. */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";

/** Audience Entra ID expects in federated (workload identity) tokens. */
export const AZURE_AD_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Default days a client secret stays valid after its scheduled rotation, so one missed update breaks nothing. */
export const CLIENT_SECRET_GRACE_DAYS = 30;

/** Built-in role "Contributor": manage every resource, but not access to it. */
export const CONTRIBUTOR_ROLE_ID = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/** Built-in role "Role Based Access Control Administrator": manage role assignments (constrainable with a condition). */
export const RBAC_ADMINISTRATOR_ROLE_ID = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";

/** Microsoft Graph application permissions (app roles) a service principal running `pulumi up` needs, with their ids. */
export const GRAPH_APP_ROLES = {
  /** Create and update the app registrations, their service principals and client secrets. */
  applicationReadWriteAll: { name: "Application.ReadWrite.All", id: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9" },
  /** Read Microsoft's service principals and the type of each configured object id. */
  directoryReadAll: { name: "Directory.Read.All", id: "7ab1d382-f21e-4acd-a863-ba3e13f7da61" },
  /** Manage the tenant-wide delegated grants (`grantAdminConsent`). */
  delegatedPermissionGrantReadWriteAll: { name: "DelegatedPermissionGrant.ReadWrite.All", id: "8e8e4742-1d95-4f68-9d56-6ee75648c72a" },
} as const;
