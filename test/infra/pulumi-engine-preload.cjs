// Loaded with `node --require` in front of @pulumi/pulumi/cmd/run (the runner the
// Pulumi CLI's Node.js language host starts): installs the engine stand-in from
// pulumi-mocks.ts, so the real runner loads the real program against it, and
// writes what the engine saw to STAND_IN_REPORT when the process exits.
// CommonJS on purpose (.cjs): it must load the same way whatever package.json says.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const ts = require("typescript");

/** Loads a TypeScript module by transpiling it, without registering any global hook. */
function loadTypeScript(file) {
  const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(path.dirname(file));
  loaded._compile(outputText, file);
  return loaded.exports;
}

const { STAND_IN_PROJECT, STAND_IN_STACK, STAND_IN_PREVIEW, STAND_IN_REPORT } = process.env;
if (!STAND_IN_PROJECT || !STAND_IN_STACK || !STAND_IN_REPORT) {
  throw new Error("pulumi-engine-preload: set STAND_IN_PROJECT, STAND_IN_STACK and STAND_IN_REPORT");
}
const { installStandIn } = loadTypeScript(path.join(__dirname, "pulumi-mocks.ts"));
const standIn = installStandIn(STAND_IN_PROJECT, STAND_IN_STACK, STAND_IN_PREVIEW === "true");

process.on("exit", () => {
  fs.writeFileSync(STAND_IN_REPORT, JSON.stringify({ ...standIn.stackOutputs(), resources: standIn.resources }));
});
