import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";

/** What the stack needs to know of a Microsoft service principal in the tenant. */
export interface TenantServicePrincipal {
  objectId: string;
  /** Delegated permissions it publishes, name → id. */
  oauth2PermissionScopeIds: Record<string, string>;
}

/**
 * Every input of `azuread.ServicePrincipal`: a service principal this stack had
 * to create for a Microsoft application is never updated afterwards.
 */
const EVERY_SERVICE_PRINCIPAL_INPUT = [
  "accountEnabled",
  "alternativeNames",
  "appRoleAssignmentRequired",
  "clientId",
  "description",
  "featureTags",
  "features",
  "loginUrl",
  "notes",
  "notificationEmailAddresses",
  "owners",
  "preferredSingleSignOnMode",
  "samlSingleSignOn",
  "tags",
  "useExisting",
];

/**
 * The tenant's service principal of a Microsoft (first-party) application such
 * as Microsoft Graph or Partner Center. These objects are shared by every app
 * in the tenant, so the stack only reads them (data sources). Only when the
 * tenant has none does it create one — which needs Cloud Application
 * Administrator (or Application Administrator) — and that one is never updated
 * (`ignoreChanges` on every input) nor deleted (`retainOnDelete`).
 */
export function tenantServicePrincipal(
  name: string,
  clientId: string,
  parent: pulumi.Resource,
): pulumi.Output<TenantServicePrincipal> {
  const found = azuread.getServicePrincipalsOutput({ clientIds: [clientId], ignoreMissing: true }, { parent });
  return found.objectIds.apply((objectIds) => {
    const objectId = objectIds[0];
    if (objectId !== undefined) {
      const existing = azuread.getServicePrincipalOutput({ objectId }, { parent });
      return pulumi.output({ objectId: existing.objectId, oauth2PermissionScopeIds: existing.oauth2PermissionScopeIds });
    }
    const created = new azuread.ServicePrincipal(
      name,
      { clientId },
      { parent, retainOnDelete: true, ignoreChanges: EVERY_SERVICE_PRINCIPAL_INPUT },
    );
    return pulumi.output({ objectId: created.objectId, oauth2PermissionScopeIds: created.oauth2PermissionScopeIds });
  });
}
