/**
 * Microsoft Entra built-in roles a GDAP relationship commonly grants, by display
 * name and role template id (the `roleDefinitionId` of a relationship's
 * `accessDetails.unifiedRoles`, the same in every tenant). Source: Microsoft
 * Entra built-in roles, "All roles" table
 * (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference,
 * MicrosoftDocs/entra-docs `docs/identity/role-based-access-control/permissions-reference.md`).
 * Config `gdapRoles` takes these names (or any template id); names are matched
 * without regard to case.
 */
export const ENTRA_BUILT_IN_ROLES: Readonly<Record<string, string>> = Object.freeze({
  "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
  "Authentication Policy Administrator": "0526716b-113d-4c15-b2c8-68e3c22b9f80",
  "Billing Administrator": "b0f54661-2d74-4c50-afa3-1ec803f12efe",
  "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
  "Cloud Device Administrator": "7698a772-787b-4ac8-901f-60d6b08affd2",
  "Compliance Administrator": "17315797-102d-40b4-93e0-432062caca18",
  "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
  "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
  "Directory Writers": "9360feb5-f418-4baa-8175-e2a00bac4301",
  "Domain Name Administrator": "8329153b-31d0-4727-b945-745eb3bc5f31",
  "Dynamics 365 Administrator": "44367163-eba1-44c3-98af-f5787879f96a",
  "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
  "Exchange Recipient Administrator": "31392ffb-586c-42d1-9346-e59415a2cc4e",
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  "Groups Administrator": "fdd7a751-b60b-444a-984c-02652fe8fa1c",
  "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
  "Hybrid Identity Administrator": "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
  "Intune Administrator": "3a2c62db-5318-420d-8d74-23affee5d9d5",
  "License Administrator": "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
  "Message Center Reader": "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",
  "Microsoft Entra Joined Device Local Administrator": "9f06204d-73c1-4d4c-880a-6edb90606fd8",
  "Office Apps Administrator": "2b745bdf-0803-4d80-aa65-822c4493daac",
  "Password Administrator": "966707d0-3269-4727-9be2-8c3a10f19b9d",
  "Power Platform Administrator": "11648597-926c-4cf3-9c36-bcebb0ba8dcc",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
  "Reports Reader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
  "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
  "Security Operator": "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
  "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
  "Service Support Administrator": "f023fd81-a637-4b56-95fd-791ac0226033",
  "SharePoint Administrator": "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
  "Teams Administrator": "69091246-20e8-4a56-aa4d-066075b2a7a8",
  "Teams Communications Administrator": "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
  "Windows 365 Administrator": "11451d60-acb2-45eb-a7d6-43d0f0125c13",
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BY_LOWER_NAME = new Map(Object.entries(ENTRA_BUILT_IN_ROLES).map(([name, id]) => [name.toLowerCase(), id]));
const BY_ID = new Map(Object.entries(ENTRA_BUILT_IN_ROLES).map(([name, id]) => [id, name]));

/** The template id of a role name or id (lowercase), or undefined for an unknown name. */
export function roleTemplateId(nameOrId: string): string | undefined {
  const value = nameOrId.trim();
  if (GUID.test(value)) return value.toLowerCase();
  return BY_LOWER_NAME.get(value.toLowerCase());
}

/** The display name of a role template id, or the id itself when the table does not list it. */
export function roleName(templateId: string): string {
  return BY_ID.get(templateId.toLowerCase()) ?? templateId;
}

/** The known role name closest to `name` (for "did you mean"), by shared words. */
export function closestRoleName(name: string): string | undefined {
  const words = new Set(name.toLowerCase().split(/\s+/).filter(Boolean));
  let best: { name: string; score: number } | undefined;
  for (const candidate of Object.keys(ENTRA_BUILT_IN_ROLES)) {
    const score = candidate.toLowerCase().split(/\s+/).filter((w) => words.has(w)).length;
    if (score > 0 && (!best || score > best.score)) best = { name: candidate, score };
  }
  return best?.name;
}
