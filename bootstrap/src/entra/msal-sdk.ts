/**
 * msal-node, loaded when first used instead of when a module that may use it is
 * loaded, so a command can send its vault reads first and load MSAL while the
 * vault answers (see {@link preloadMsal}); a token served from the shared cache
 * never loads it.
 */
import type * as Msal from "@azure/msal-node";

/** `@azure/msal-node`, loaded on first call. */
export function msalNode(): typeof Msal {
  // A plain require, so the CLI's bundler sees it (and keeps it lazy); tsc's CommonJS output keeps it as it is.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@azure/msal-node") as typeof Msal;
}

/**
 * Loads msal-node on the next turn of the event loop, while requests already
 * sent are in flight, so the first token request does not wait for it. A
 * failure is left for the real use to report.
 */
export function preloadMsal(): void {
  setImmediate(() => {
    try {
      msalNode();
    } catch {
      // reported where MSAL is used
    }
  });
}
