import { HostThrottle } from "../core/host-throttle";
import type { Deadline } from "../core/retry";
import type { TokenProvider } from "../entra/token-provider";
import type { FleetOptions } from "../fleet/fleet";
import { ApiClient } from "../partner-center/api-client";
import type { VaultTarget } from "../vault/vault-target";
import { openTokenProvider } from "./token-flow";

/** What a command over many customers (`customers`, `call --customers`) works with. */
export interface FleetRun {
  provider: TokenProvider;
  /** The partner's own tenant (the customer list, GDAP), on the run's throttle and deadline. */
  partner: ApiClient;
  /** For runFleet: the same tokens, throttle and deadline, with the command's concurrency and --max-failures. */
  fleet: FleetOptions;
}

/**
 * Opens the token provider, the ONE throttle of the run (a 429's pause is told
 * once, for every customer) and the partner's client for a resolved target, and
 * the matching runFleet options, so that both fleet commands share them alike.
 * The partner client tells its retries only with `notePartnerRetries`: `call
 * --customers` has never told them while it lists the customers.
 */
export function openFleetRun(
  where: VaultTarget,
  options: Parameters<typeof openTokenProvider>[1] & { concurrency?: number; maxFailures?: number; notePartnerRetries?: boolean },
  deadline: Deadline,
): FleetRun {
  const { progress } = options;
  const { partnerCenterEndpoint, graphEndpoint } = where;
  const provider = openTokenProvider(where, options);
  const throttle = new HostThrottle({ onPause: (host, ms) => progress.note(`${host} answered 429: every request to it waits ${Math.ceil(ms / 1000)} s (one throttle for the whole run).`) });
  const getToken: FleetOptions["getToken"] = (r) => provider.getAccessToken({ scopes: r.scopes, tenantId: r.tenantId, forceRefresh: r.forceRefresh, signal: r.signal ?? deadline.signal });
  const onRetry = (m: string) => progress.note(m);
  const partner = new ApiClient({ partnerCenterEndpoint, graphEndpoint, getToken, deadline, throttle, onRetry: options.notePartnerRetries ? onRetry : undefined });
  const fleet: FleetOptions = { partnerCenterEndpoint, graphEndpoint, getToken, deadline, throttle, concurrency: options.concurrency, maxFailures: options.maxFailures, signal: deadline.signal, onRetry };
  return { provider, partner, fleet };
}
