/**
 * A loopback port free right now on 127.0.0.1 and (where there is IPv6
 * loopback) ::1, the two addresses the sign-in listener binds — so a test's
 * redirect URI never depends on a hand-picked port that another test file,
 * running at the same time, or another program could hold.
 *
 * Synchronous (a short child process) so a test file can use it where its
 * cases are declared.
 */
import { execFileSync } from "node:child_process";

const FIND_PORT = `
const net = require("node:net");
function bind(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error) => resolve(error.code === "EADDRNOTAVAIL" || error.code === "EAFNOSUPPORT" ? { port, close: (cb) => cb() } : undefined));
    server.listen({ port, host, exclusive: true }, () => resolve({ port: server.address().port, close: (cb) => server.close(cb) }));
  });
}
(async () => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const v4 = await bind(0, "127.0.0.1");
    if (!v4) continue;
    const v6 = await bind(v4.port, "::1");
    await new Promise((r) => v4.close(r));
    if (!v6) continue;
    await new Promise((r) => v6.close(r));
    process.stdout.write(String(v4.port));
    return;
  }
  process.exit(1);
})();
`;

/** A port free on both loopback addresses now. */
export function freeLoopbackPort(): number {
  const port = Number(execFileSync(process.execPath, ["-e", FIND_PORT], { encoding: "utf8", timeout: 10_000 }));
  if (!Number.isInteger(port) || port <= 0) throw new Error("found no free loopback port");
  return port;
}
