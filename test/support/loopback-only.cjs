"use strict";
/**
 * Keeps a Node process on the loopback interface. Loaded in every vitest worker
 * (setupFiles) and in CLI child processes (`NODE_OPTIONS=--require <this file>`).
 *
 * - `net.Socket.prototype.connect` (which http, https, tls, fetch/undici and the
 *   Azure SDKs all go through) throws for any TCP destination outside
 *   127.0.0.0/8, ::1, `localhost` and `*.localhost`. Unix sockets and pipes pass.
 * - `dns.lookup` answers `localhost` and `*.localhost` (RFC 6761) with loopback
 *   addresses only and refuses every other name, so no DNS query leaves the
 *   machine either; the c-ares `dns.resolve*` family is refused outright.
 *
 * Every refusal is recorded in memory and, when `PCSAM_BLOCKED_LOG` names a
 * file, appended to it (one line per attempt), so a test can check what a child
 * process tried to reach.
 */
const net = require("node:net");
const dns = require("node:dns");
const fs = require("node:fs");

const INSTALLED = Symbol.for("partner-center-sam.loopback-only");
const state = globalThis[INSTALLED] || (globalThis[INSTALLED] = { installed: false, blocked: [] });

const loopback = new net.BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** True for an IP address in 127.0.0.0/8, ::1 or IPv4-mapped 127.0.0.0/8. */
function isLoopbackAddress(address) {
  const ip = String(address).replace(/^\[(.*)\]$/, "$1");
  const family = net.isIP(ip);
  if (family === 0) return false;
  return loopback.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** True for `localhost` and any `*.localhost` name (RFC 6761 reserves them for loopback). */
function isLoopbackName(host) {
  const name = String(host).toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** True for a destination this process may connect to. */
function isLoopbackHost(host) {
  return isLoopbackAddress(host) || isLoopbackName(host);
}

function record(what) {
  const entry = { target: what, pid: process.pid, at: new Date().toISOString() };
  state.blocked.push(entry);
  const file = process.env.PCSAM_BLOCKED_LOG;
  if (file) {
    const frames = (new Error().stack || "").split("\n").slice(3, 9).join("\n");
    try {
      fs.appendFileSync(file, `${entry.at} pid ${entry.pid} (${process.argv.slice(1, 3).join(" ")}): ${what}\n${frames}\n`);
    } catch {
      // The log is a diagnostic; never let it mask the refusal itself.
    }
  }
}

function blockedError(what) {
  record(what);
  const err = new Error(`blocked outbound connection to ${what}`);
  // "Network unreachable" is what the process would see on a machine with no route out.
  err.code = "ENETUNREACH";
  return err;
}

/** The options object of any of net.Socket#connect's call shapes, or undefined for (path) forms. */
function connectTarget(args) {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // normalized [options, cb] from net.connect()
  if (first !== null && typeof first === "object") {
    if (first.path != null) return undefined;
    return { host: first.host, port: first.port, options: first };
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) return undefined; // a pipe / socket path
  return { host: typeof args[1] === "string" ? args[1] : undefined, port: first, options: undefined };
}

function guardLookup(lookup) {
  const guarded = function guardedLookup(hostname, options, callback) {
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "function" ? {} : options;
    lookup(hostname, opts, (err, address, family) => {
      if (err) return cb(err);
      const all = Array.isArray(address) ? address : [{ address, family }];
      const outside = all.find((a) => !isLoopbackAddress(a.address));
      if (outside) return cb(blockedError(`${hostname} (${outside.address})`));
      return cb(null, address, family);
    });
  };
  guarded.__pcsamGuarded = true;
  return guarded;
}

function install() {
  if (state.installed) return;
  state.installed = true;

  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(...args) {
    const target = connectTarget(args);
    if (target) {
      const host = target.host === undefined || target.host === null || target.host === "" ? "localhost" : target.host;
      if (!isLoopbackHost(host)) {
        throw blockedError(`${host}${target.port !== undefined ? `:${target.port}` : ""}`);
      }
      if (target.options && typeof target.options.lookup === "function" && !target.options.lookup.__pcsamGuarded) {
        target.options.lookup = guardLookup(target.options.lookup);
      }
    }
    return originalConnect.apply(this, args);
  };

  const originalLookup = dns.lookup;
  const lookup = function lookup(hostname, options, callback) {
    const cb = typeof options === "function" ? options : callback;
    let opts = typeof options === "function" ? {} : options;
    if (typeof opts === "number") opts = { family: opts };
    if (!net.isIP(String(hostname)) && hostname && !isLoopbackName(hostname)) {
      const err = blockedError(`${hostname} (DNS lookup)`);
      err.code = "ENOTFOUND";
      process.nextTick(cb, err);
      return {};
    }
    // `*.localhost` resolves like `localhost` (RFC 6761), as browsers and systemd-resolved do.
    const name = net.isIP(String(hostname)) || !hostname ? hostname : "localhost";
    return guardLookup(originalLookup)(name, opts, cb);
  };
  lookup.__pcsamGuarded = true;
  dns.lookup = lookup;

  dns.promises.lookup = function lookupPromise(hostname, options) {
    return new Promise((resolve, reject) => {
      lookup(hostname, options || {}, (err, address, family) => {
        if (err) return reject(err);
        return resolve(Array.isArray(address) ? address : { address, family });
      });
    });
  };

  const refuse = (name) =>
    function refused(hostname) {
      const err = blockedError(`${hostname} (dns.${name})`);
      const cb = arguments[arguments.length - 1];
      if (typeof cb === "function") {
        process.nextTick(cb, err);
        return undefined;
      }
      return Promise.reject(err);
    };
  for (const name of Object.keys(dns)) {
    if (/^(resolve|reverse)/.test(name) && typeof dns[name] === "function") dns[name] = refuse(name);
  }
  for (const name of Object.keys(dns.promises)) {
    if (/^(resolve|reverse)/.test(name) && typeof dns.promises[name] === "function") dns.promises[name] = refuse(name);
  }
}

install();

module.exports = {
  isLoopbackAddress,
  isLoopbackHost,
  /** Refusals recorded in this process, oldest first. */
  blockedConnections: () => state.blocked.slice(),
  /** Forgets the refusals recorded in this process (not the log file). */
  clearBlockedConnections: () => {
    state.blocked.length = 0;
  },
};
