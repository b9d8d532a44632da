/**
 * `partner-center-sam/emulator`: Entra ID, Key Vault and Partner Center on
 * loopback, for trying the tool without a tenant and for downstream tests.
 * See the README's "The emulator" section.
 */
export { startEmulator } from "./emulator";
export type { Emulator, EmulatorCustomer, EmulatorCustomerOptions, EmulatorStackOutputs, EmulatorUser, EmulatorUserOptions, StartEmulatorOptions } from "./emulator";
export type { EmulatorSignInOptions } from "./sign-in";
export type { StoreRefreshTokenOptions, StoredRefreshTokenInfo } from "./bootstrap-state";
export type { EmulatorTls } from "./certificates";
export type { ReceivedWebhook, WebhookKind, WebhookSink } from "./webhooks";
export { serveEmulator, type ServeEmulatorOptions, type EmulatorAnnouncement } from "./serve";
export { runDemo, demoIsUnattended, type DemoOptions, type DemoResult, type DemoStep } from "./demo";
