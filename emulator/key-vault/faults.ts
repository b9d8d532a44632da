/**
 * Injected faults (`failNext`): which requests fail, how (an HTTP status in
 * the service's shape, a hang, a connection reset, or an answer cut off
 * mid-body), and the responses held open by hangs until the stand-in stops.
 */
import type http from "node:http";
import { VaultError, internalServerError, objectIsDeletedButRecoverable, serviceUnavailable, throttled } from "./errors";
import type { Operation, VaultFaultFilter, VaultFaultOptions } from "./types";

/**
 * An HTTP status, or `hang` (accept, never answer), `reset` (drop the
 * connection) or `truncate` (carry the request out, then answer 200 with the
 * first half of the JSON body only — what a proxy or middlebox that cut the
 * answer off passes on, well framed but not valid JSON). Real Key Vault does
 * none of these by itself: they are explicit faults for tests.
 */
export type FaultStatus = number | "hang" | "reset" | "truncate";

interface Fault {
  remaining: number;
  /** See {@link FaultStatus}. */
  status: FaultStatus;
  filter: VaultFaultFilter;
  options: VaultFaultOptions;
}

/** Pending faults, oldest first, and the responses hangs hold open. */
export class FaultQueue {
  private readonly faults: Fault[] = [];
  /** Responses held open by `hang` faults, ended when the stand-in stops. */
  private readonly hanging = new Set<http.ServerResponse>();

  /** The next `count` requests matching `filter` fail with `status`. */
  add(count: number, status: FaultStatus, filter: VaultFaultFilter, options: VaultFaultOptions): void {
    this.faults.push({ remaining: count, status, filter, options });
  }

  /**
   * Consumes the first pending fault matching the request, if any: throws its
   * error (a 403 as RBAC propagation, via `forbidden`), or returns `hang`,
   * `reset` or `truncate` for the caller to act on; undefined when no fault applies.
   */
  inject(method: string, op: Operation | undefined, forbidden: (op: Operation) => VaultError): "hang" | "reset" | "truncate" | undefined {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.filter.method || f.filter.method.toUpperCase() === method) &&
        (!f.filter.name || f.filter.name.toLowerCase() === op?.name?.toLowerCase()),
    );
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    switch (fault.status) {
      case "hang":
      case "reset":
      case "truncate":
        return fault.status;
      case 403:
        throw forbidden(op ?? { kind: "list" });
      case 429:
        throw throttled(fault.options.retryAfterSeconds);
      case 409:
        throw objectIsDeletedButRecoverable(op?.name ?? "");
      case 500:
        throw internalServerError();
      case 503:
        throw serviceUnavailable();
      default:
        throw new VaultError(fault.status, "Unknown", `Injected failure with status ${fault.status}.`);
    }
  }

  /** Holds `res` open (a `hang` fault) until it closes or {@link releaseAll} runs. */
  hold(res: http.ServerResponse): void {
    this.hanging.add(res);
    res.on("close", () => this.hanging.delete(res));
  }

  /** Ends every held response. */
  releaseAll(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }
}
