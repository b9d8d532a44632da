/**
 * partner-center-sam: the token provider and building blocks for Partner
 * Center App+User automation (Secure Application Model).
 */
export { createTokenProvider, TokenProvider, type AccessTokenInfo, type ProviderFetchInit, type ProviderFetchOptions, type TokenProviderOptions, type TokenRequest } from "./entra/token-provider";
export { ConsentRequiredError, SamError, SignInError, UsageError, VaultError, ServiceError, ExitCode } from "./core/errors";
export { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, partnerCenterScope, type SecretNames } from "./core/contract";
export { RefreshTokenRotator, type Redemption, type RefreshTokenRotatorOptions } from "./entra/refresh-token-rotator";
export { VaultStore, type VaultStoreOptions, type RefreshTokenTags } from "./vault/vault-store";
export { readStatus, type StatusReport } from "./flows/status-report";
export { ERROR_CATALOGUE, catalogError, catalogueEntry, type CatalogueEntry, type ErrorCode } from "./core/error-catalogue";
export { silentProgress, type InteractiveProgress, type Progress } from "./core/progress";
export { resolveTarget, type TargetSource, type VaultTarget } from "./vault/vault-target";
export { runToken, type TokenFlowOptions, type TokenResult } from "./flows/token-flow";
export { runRefresh, type RefreshOptions, type RefreshResult } from "./flows/refresh-flow";
export { runStatus, type StatusFlowOptions } from "./flows/status-flow";
export { runImportToken, type ImportTokenOptions, type ImportTokenResult } from "./flows/import-token-flow";
export { guardReplacingAnotherUsersToken, readStoredConsent, type ReplaceGuardOptions, type StoredConsent } from "./flows/replace-guard";
export { deliver, type DeliveryResult, type DeliverOptions } from "./notify/deliver";
export { buildMessage, shouldNotify, type NotifyEvent, type NotifyMessage, type NotifyOn } from "./notify/message";
export { SIGNATURE_HEADER, signBody } from "./notify/payloads";
export { NOTIFY_ENV, NOTIFY_SECRET_ENV, parseTargets, type NotifyTarget } from "./notify/targets";
export { runNotifyTest, type NotifyTestOptions } from "./flows/notify-flow";
export { forEachCustomer, type ForEachCustomerOptions } from "./fleet/for-each-customer";
export type { CustomerContext, CustomerResult, FleetSummary } from "./fleet/fleet";
export type { FleetCustomer } from "./fleet/selection";
export { shardOf, type Shard } from "./fleet/shard";
export { HostThrottle } from "./core/host-throttle";
