"use strict";
/**
 * Preload (`NODE_OPTIONS=--require <this file>`) that records which CommonJS
 * modules a process loaded: when it exits (or is stopped with SIGTERM/SIGINT)
 * it writes the paths in `require.cache`, one a line, to the file named by
 * PCSAM_LOADED_MODULES_FILE. Used to check that the commands never load the
 * Pulumi SDK or a TypeScript compiler.
 */
const fs = require("node:fs");

const file = process.env.PCSAM_LOADED_MODULES_FILE;
if (file) {
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    fs.writeFileSync(file, `${Object.keys(require.cache).join("\n")}\n`);
  };
  process.on("exit", write);
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      write();
      process.exit(128 + (signal === "SIGTERM" ? 15 : 2));
    });
  }
}
