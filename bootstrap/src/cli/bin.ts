#!/usr/bin/env node
/**
 * The package's `bin` as the build bundles it (bootstrap/dist/cli/main.js): a
 * few kilobytes that load the command line itself (cli.js, the bundle of
 * main.ts) with V8's compiled code of the last run, then run it. Without it,
 * every command would first parse and compile half a megabyte of JavaScript.
 */
import path from "node:path";
import { loadWithCompiledCode } from "./compiled-code";

const cli = loadWithCompiledCode(path.join(__dirname, "cli.js"), process.env);
if (cli.store) process.once("exit", cli.store);
(cli.exports as { runAsBin(): void }).runAsBin();
