/**
 * vitest setupFiles entry: installs the loopback-only guard (loopback-only.cjs)
 * in the worker and fails a test file that tried to leave the loopback
 * interface, unless the test asserted on the refusals and cleared them with
 * `loopbackOnly.clearBlockedConnections()`. Put the same guard into CLI child
 * processes with `NODE_OPTIONS=--require ${LOOPBACK_ONLY_CJS}` (stand-ins'
 * `childEnv()` does).
 */
import { afterAll } from "vitest";
import { loopbackOnly } from "./loopback-guard";

export { LOOPBACK_ONLY_CJS, loopbackOnly, type BlockedConnection, type LoopbackOnly } from "./loopback-guard";

afterAll(() => {
  const blocked = loopbackOnly.blockedConnections();
  loopbackOnly.clearBlockedConnections();
  if (blocked.length) {
    throw new Error(
      `This test file attempted connections outside the loopback interface: ${blocked.map((b) => b.target).join(", ")}. ` +
        "A test that provokes this on purpose must assert on loopbackOnly.blockedConnections() and then clear them.",
    );
  }
});
