/**
 * vitest setupFile: after each test file, the one "nothing secret on screen"
 * check (fixtures' `leakedSecrets`) over everything every command printed in
 * that file, against every emulator the file started — so no command test can
 * forget it. A `token` run's stdout is the token by design and is not recorded
 * (see run-cli.ts).
 */
import { afterAll, expect } from "vitest";
import { leakedSecrets } from "./fixtures";
import { transcript } from "./run-cli";
import { startedStandIns } from "./started";

afterAll(() => {
  const started = startedStandIns();
  if (!started.length || !transcript.length) return;
  const leaks = started.flatMap((s) => leakedSecrets(s, transcript));
  expect(leaks, `printed by the commands in this file: ${leaks.join("; ")}`).toEqual([]);
});
