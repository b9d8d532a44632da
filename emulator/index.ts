/**
 * `partner-center-sam/emulator`: Entra ID, Key Vault, Partner Center and Microsoft Graph on
 * loopback, for trying the tool without a tenant and for downstream tests.
 * See the README's "The emulator" section.
 */
export { startEmulator } from "./emulator";
export type { Emulator, EmulatorCustomer, EmulatorCustomerOptions, EmulatorStackOutputs, EmulatorUser, EmulatorUserOptions, StartEmulatorOptions } from "./emulator";
export type { EmulatorSignInOptions } from "./sign-in";
export { defaultEstate, generatedEstate, DEFAULT_CUSTOMER_GRAPH_SCOPES, DIRECTORY_READERS_ROLE, type CustomerState, type DefaultEstateCustomer, type EmulatorGdapOptions } from "./estate";
export { GRAPH_APP_ID, GRAPH_RESOURCE, type GraphEmulator, type GraphCall, type DelegatedAdminRelationship, type DelegatedAdminRelationshipStatus, type GraphThrottle } from "./graph";
export type { StoreRefreshTokenOptions, StoredRefreshTokenInfo } from "./bootstrap-state";
export type { EmulatorTls } from "./certificates";
export { serveEmulator, type ServeEmulatorOptions, type EmulatorAnnouncement } from "./serve";
export { runDemo, demoIsUnattended, type DemoOptions, type DemoResult, type DemoStep } from "./demo";
