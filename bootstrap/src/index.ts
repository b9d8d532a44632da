/**
 * partner-center-sam: the token provider and building blocks for Partner
 * Center App+User automation (Secure Application Model).
 */
export { createTokenProvider, TokenProvider, type TokenProviderOptions } from "./token-provider";
export { ConsentRequiredError, SamError, SignInError, UsageError, VaultError, ServiceError, ExitCode } from "./errors";
export { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, partnerCenterScope, type SecretNames } from "./contract";
export { RefreshTokenRotator, type Redemption, type RefreshTokenRotatorOptions } from "./refresh-token-rotator";
export { VaultStore, type VaultStoreOptions, type RefreshTokenTags } from "./vault-store";
export { readStatus, type StatusReport } from "./status-report";
