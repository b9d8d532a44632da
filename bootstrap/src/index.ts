/**
 * partner-center-sam: the token provider and building blocks for Partner
 * Center App+User automation (Secure Application Model).
 */
export { createTokenProvider, TokenProvider, type AccessTokenInfo, type ProviderFetchInit, type ProviderFetchOptions, type TokenProviderOptions, type TokenRequest } from "./token-provider";
export { ConsentRequiredError, SamError, SignInError, UsageError, VaultError, ServiceError, ExitCode } from "./errors";
export { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, partnerCenterScope, type SecretNames } from "./contract";
export { RefreshTokenRotator, type Redemption, type RefreshTokenRotatorOptions } from "./refresh-token-rotator";
export { VaultStore, type VaultStoreOptions, type RefreshTokenTags } from "./vault-store";
export { readStatus, type StatusReport } from "./status-report";
export { ERROR_CATALOGUE, catalogError, catalogueEntry, type CatalogueEntry, type ErrorCode } from "./error-catalogue";
export { silentProgress, type InteractiveProgress, type Progress } from "./progress";
export { resolveTarget, type TargetSource, type VaultTarget } from "./vault-target";
export { runToken, type TokenFlowOptions, type TokenResult } from "./token-flow";
export { runRefresh, type RefreshOptions, type RefreshResult } from "./refresh-flow";
export { runStatus, type StatusFlowOptions } from "./status-flow";
