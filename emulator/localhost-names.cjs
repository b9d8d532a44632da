"use strict";
/**
 * Resolves `*.localhost` names (the emulated vault is `<name>.vault.localhost`)
 * the way RFC 6761 reserves them, browsers resolve them and systemd-resolved
 * does: as `localhost`. Many systems' resolvers (glibc without
 * systemd-resolved, for one) answer ENOTFOUND for them instead.
 *
 * A child process gets it with `NODE_OPTIONS=--require <localhost-names-preload.cjs>`
 * (the emulator's `env` names it). In-process, `startEmulator` calls
 * `install()` and the returned function on `close()`.
 */
const dns = require("node:dns");

const INSTALLED = Symbol.for("partner-center-sam.emulator.localhost-names");
const state = globalThis[INSTALLED] || (globalThis[INSTALLED] = { users: 0, original: undefined, originalPromise: undefined });

/** `x.localhost` → `localhost`; every other name as it is. */
function loopbackName(hostname) {
  const name = String(hostname || "").toLowerCase().replace(/\.$/, "");
  return name.endsWith(".localhost") ? "localhost" : hostname;
}

/** Wraps a `dns.lookup`-shaped function so `*.localhost` names are looked up as `localhost`. */
function wrapLookup(lookup) {
  return function lookupLocalhostNames(hostname, options, callback) {
    return lookup.call(this, loopbackName(hostname), options, callback);
  };
}

/** Makes `dns.lookup` (which http, https, fetch and the Azure SDKs use) resolve `*.localhost`; returns the undo. */
function install() {
  if (state.users++ === 0) {
    state.original = dns.lookup;
    state.originalPromise = dns.promises.lookup;
    dns.lookup = wrapLookup(state.original);
    dns.promises.lookup = function lookupLocalhostNames(hostname, options) {
      return state.originalPromise.call(this, loopbackName(hostname), options);
    };
  }
  let undone = false;
  return function uninstall() {
    if (undone) return;
    undone = true;
    if (--state.users === 0) {
      dns.lookup = state.original;
      dns.promises.lookup = state.originalPromise;
    }
  };
}

module.exports = { install, loopbackName, wrapLookup };
