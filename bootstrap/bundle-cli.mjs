/**
 * Bundles the command line for the package's `bin` with esbuild, into three
 * files over what tsc wrote in bootstrap/dist/cli/:
 *
 * - `main.js` (the bin): bootstrap/src/cli/bin.ts, a few kilobytes that load
 *   cli.js with V8's compiled code of the last run (cli/compiled-code.ts).
 * - `cli.js`: bootstrap/src/cli/main.ts and everything of ours it reaches, plus
 *   commander. `--version`, `--help`, `cache clear` and a token served from the
 *   shared cache read these two files and nothing else.
 * - `azure-deps.js`: the Azure credential chain (@azure/identity), the Key Vault
 *   client, MSAL and the SDK's HTTP client (@azure/core-rest-pipeline, which our
 *   Entra ID requests use too) with their dependencies, each behind a getter, so a command
 *   loads only the packages it uses, from one file instead of some three hundred,
 *   also with the compiled code of the last run.
 *
 * cli.js reaches the Azure packages only through azure-deps.js (see the plugin
 * below); our flows are imported lazily and the bundle keeps them lazy. Each
 * loader knows the SHA-256 of the file it loads from the build (esbuild's
 * `define`). The library entry points (bootstrap/dist/index.js and its types)
 * are tsc's output, unchanged, and load the packages from node_modules as before.
 *
 * esbuild is a dev dependency whose native binary comes in an optional
 * dependency package (@esbuild/<platform>-<arch>), so it needs no install script.
 */
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, "dist", "cli");
/** The packages that go into azure-deps.js; everything they import comes along. */
const AZURE = ["@azure/identity", "@azure/keyvault-secrets", "@azure/msal-node", "@azure/core-rest-pipeline"];
const common = { bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "error" };

/**
 * cli.js runs through vm.Script (compiled-code.ts), where import() has no loader: its one import() of an ES module
 * stays in tsc's output of core/import-esm.ts, which Node loads itself (bootstrap/dist/core/, in the package).
 */
const esmImportInTscOutput = {
  name: "esm-import-in-tsc-output",
  setup(b) {
    b.onResolve({ filter: /\/core\/import-esm$/ }, () => ({ path: "../core/import-esm.js", external: true }));
  },
};

/** Loads azure-deps.js with the compiled code of the last run (see the file). */
const loader = path.join(here, "src", "cli", "compiled-code.ts");

/** In main.js, an import of an Azure package becomes a property of azure-deps.js, read when first needed. */
const azureThroughDeps = {
  name: "azure-through-deps",
  setup(b) {
    b.onResolve({ filter: /^@azure\/(identity|keyvault-secrets|msal-node|core-rest-pipeline)$/ }, (args) => ({ path: args.path, namespace: "azure-deps" }));
    b.onLoad({ filter: /.*/, namespace: "azure-deps" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(loader)}).azureDeps()[${JSON.stringify(args.path)}];`, loader: "js", resolveDir: here }));
  },
};

/** SHA-256 of a bundle file, for the loader's file names (see compiled-code.ts). */
const hashOf = (file) => createHash("sha256").update(readFileSync(path.join(outDir, file), "utf8")).digest("hex");

await build({
  ...common,
  stdin: {
    contents: AZURE.map((name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => require(${JSON.stringify(name)}) });`).join("\n"),
    resolveDir: here,
    loader: "js",
  },
  outfile: path.join(outDir, "azure-deps.js"),
  external: ["open"],
  // Node defines the FormData global lazily: the first read loads its whole fetch implementation (undici, some
  // 17 ms). The HTTP pipeline reads it on every request to ask whether the body is a FormData; none of ours is.
  define: { FormData: "undefined" },
});

await build({
  ...common,
  entryPoints: [path.join(here, "src", "cli", "main.ts")],
  outfile: path.join(outDir, "cli.js"),
  // `open` and node-forge are for the browser sign-in and the emulator only; the emulator is its own entry point.
  external: ["open", "node-forge", "partner-center-sam", "partner-center-sam/*"],
  plugins: [azureThroughDeps, esmImportInTscOutput],
  define: { PCSAM_BUNDLE_HASHES: JSON.stringify({ "azure-deps.js": hashOf("azure-deps.js") }) },
  // main.ts checks `require.main === module`: false in cli.js, which the bin (below) runs.
  logOverride: { "commonjs-variable-in-esm": "silent" },
});

// An import() would fail in cli.js (see esmImportInTscOutput).
if (/[^\w.$]import\(/.test(readFileSync(path.join(outDir, "cli.js"), "utf8"))) {
  throw new Error("cli.js contains an import(): import ES modules through bootstrap/src/core/import-esm.ts, CommonJS ones with require");
}

await build({
  ...common,
  entryPoints: [path.join(here, "src", "cli", "bin.ts")],
  outfile: path.join(outDir, "main.js"),
  define: { PCSAM_BUNDLE_HASHES: JSON.stringify({ "cli.js": hashOf("cli.js") }) },
});

chmodSync(path.join(outDir, "main.js"), 0o755);

// tsc's source maps describe the files the bundles replaced.
for (const name of ["main.js.map", "bin.js", "bin.js.map", "bin.d.ts", "bin.d.ts.map"]) rmSync(path.join(outDir, name), { force: true });
