import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/loopback-only.ts", "test/support/leak-check.ts"],
    pool: "forks",
    // Most test time is spent waiting on child processes, timers and loopback
    // servers, not on the CPU: three files at a time finish the suite in about
    // 60% of the time one at a time takes on a 2-core machine.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report/report.json" },
  },
});
