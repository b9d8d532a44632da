/**
 * Bundles the command line (bootstrap/src/cli/main.ts and everything of ours it
 * reaches, plus commander) into the one file the package's `bin` runs,
 * bootstrap/dist/cli/main.js, over the file tsc wrote there. A command then reads
 * one file of our code instead of dozens; the Azure SDKs, MSAL, node-forge and
 * `open` stay outside and are loaded only by the commands that use them (the
 * flows are imported lazily, and the bundle keeps them lazy). The library entry
 * points (bootstrap/dist/index.js and its types) are tsc's output, unchanged.
 *
 * esbuild is a dev dependency whose native binary comes in an optional
 * dependency package (@esbuild/<platform>-<arch>), so it needs no install script.
 */
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

await build({
  entryPoints: [path.join(here, "src", "cli", "main.ts")],
  outfile: path.join(here, "dist", "cli", "main.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // Loaded at run time, and only where a command needs them.
  external: ["@azure/*", "node-forge", "open", "partner-center-sam", "partner-center-sam/*"],
  sourcemap: "linked",
  logLevel: "error",
  // main.ts checks `require.main === module`, which is what the bundle's own module is.
  logOverride: { "commonjs-variable-in-esm": "silent" },
});
