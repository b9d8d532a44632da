/**
 * No command waits forever: a token endpoint, a managed-identity endpoint or
 * Partner Center that accepts the connection and never answers makes the
 * command fail within its deadline, naming what hung. The hanging server is a
 * loopback HTTPS server that reads requests and never writes an answer.
 */
import type http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { refreshTokenSnapshot, seedRefreshToken, writeOutputsFile } from "../support/fixtures";
import { expectNoSecretPrinted, freshStandInsPerTest, jsonStdout } from "../support/cli-expect";
import { testTls } from "../support/global-setup";
import { LoopbackServer } from "../../emulator/http";
import { runCli } from "../support/run-cli";
import type { StandIns } from "../support/stand-ins";

let s: StandIns;
const allStandIns = freshStandInsPerTest((started) => (s = started));

let hanging: LoopbackServer;
const held: http.ServerResponse[] = [];
/** Paths the hanging server was asked for. */
const asked: string[] = [];

beforeEach(async () => {
  asked.length = 0;
  hanging = new LoopbackServer((req, res) => {
    asked.push(new URL(req.url ?? "/", "https://x").pathname);
    held.push(res);
  }, testTls());
  await hanging.start();
});

afterEach(async () => {
  for (const res of held.splice(0)) res.destroy();
  await hanging.stop();
});

const hangingUrl = () => `https://localhost:${hanging.port}`;

describe("a service that accepts the connection and never answers", () => {
  it("refresh fails within --timeout naming the Entra ID host when the token endpoint hangs, and the vault is untouched", async () => {
    seedRefreshToken(s);
    const before = refreshTokenSnapshot(s);

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--authority-host", hangingUrl(), "--timeout", "3", "--access-wait", "0", "--json"], s.childEnv());

    expect(result.code).toBe(1);
    const message = String((jsonStdout(result).error as { message: string }).message);
    expect(message).toContain(`Entra ID ${hangingUrl()}`);
    expect(message).toContain("deadline of 3 s");
    expect(asked.length).toBeGreaterThan(0);
    expect(refreshTokenSnapshot(s)).toEqual(before);
  });

  it("status fails within --timeout naming the Azure credential when the managed-identity endpoint hangs", async () => {
    seedRefreshToken(s);

    const result = await runCli("status", ["--outputs", writeOutputsFile(s), "--timeout", "3", "--json"], s.childEnv({ IDENTITY_ENDPOINT: `${hangingUrl()}/msi/token` }));

    expect(result.code).toBe(1);
    const error = jsonStdout(result).error as { code: string; message: string; hint: string };
    expect(error.code).toBe("azure_credential_timeout");
    expect(error.message).toContain("the Azure credential gave none");
    expect(error.message).toContain("deadline of 3 s");
    expect(error.hint).toContain("AZURE_TOKEN_CREDENTIALS");
    expect(asked).toContain("/msi/token");
  });

  it("refresh keeps the token it stored and fails within --timeout naming Partner Center when the check hangs", async () => {
    const seeded = seedRefreshToken(s);
    s.partnerCenter.failNext(1, "hang");

    const result = await runCli("refresh", ["--outputs", writeOutputsFile(s), "--timeout", "3", "--access-wait", "0", "--json"], s.childEnv());

    expect(result.code).toBe(1);
    expect(jsonStdout(result)).toMatchObject({
      ok: false,
      error: {
        code: "partner_center_unreachable",
        message: expect.stringMatching(/^Partner Center \(https:\/\/\S+\/v1\/profiles\/organization\) could not be reached: .*deadline of 3 s/),
      },
    });
    expect(result.stderr).toContain("Stored the rotated refresh token");
    expect(s.vault.latest(s.outputs.secretNames.refreshToken)?.value).not.toBe(seeded.token);
    expect(s.partnerCenter.calls).toHaveLength(1);
  });
});

describe("hanging-service output", () => {
  it("never contains a stored secret or anything token-shaped", () => {
    expectNoSecretPrinted(allStandIns);
  });
});
