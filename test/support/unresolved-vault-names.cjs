"use strict";
/**
 * Test preload (after the loopback guard): `*.vault.localhost` names do not
 * resolve (ENOTFOUND), as on a system whose resolver does not answer
 * `*.localhost` when the emulator's NODE_OPTIONS preload is missing.
 */
const dns = require("node:dns");

const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === "function" ? options : callback;
  if (String(hostname).toLowerCase().endsWith(".vault.localhost")) {
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", errno: -3008, syscall: "getaddrinfo", hostname });
    process.nextTick(() => cb(error));
    return {};
  }
  return original.call(this, hostname, options, callback);
};
