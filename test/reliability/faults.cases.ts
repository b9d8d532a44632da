/**
 * Faults: what the vault, Entra ID, Partner Center, the network and the
 * system do to a running command — at each step of refresh, status, bootstrap
 * and the token provider. A transient fault is ridden out and the newest token
 * is stored; a lasting one ends in a named error within the command's
 * deadline, with the vault as it was. Nothing secret is printed either way.
 */
import type { ServerResponse } from "node:http";
import type { VaultFaultFilter, VaultFaultOptions } from "../../emulator/key-vault";
import { LoopbackServer } from "../../emulator/http";
import { testTls } from "../support/global-setup";
import { seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import type { StandIns } from "../support/stand-ins";
import { runCli } from "../support/run-cli";
import { createTokenProvider } from "../../bootstrap/src/entra/token-provider";
import { cli, cliWith, settle, type CaseRun, type ReliabilityCase } from "./harness";

type VaultFault = number | "hang" | "reset" | "truncate";
type Step = "client secret read" | "refresh token read" | "refresh token write";

function filterFor(s: StandIns, step: Step): VaultFaultFilter {
  const names = s.outputs.secretNames;
  // The app credential: the certificate by default, the client secret on a secret stack.
  if (step === "client secret read") return { method: "GET", name: names.clientCertificate ?? names.clientSecret };
  if (step === "refresh token read") return { method: "GET", name: names.refreshToken };
  return { method: "PUT", name: names.refreshToken };
}

const refreshArgs = (s: StandIns, extra: string[] = []) => [...vaultUriArgs(s), "--timeout", "8", "--access-wait", "0", ...extra];
const STEPS: Step[] = ["client secret read", "refresh token read", "refresh token write"];

/** One passing fault at each step of refresh: retried, and the rotated token is stored. */
const transientRefreshCases: ReliabilityCase[] = STEPS.flatMap((step) =>
  (
    [
      ["a 503", 503, {}],
      ["a 500", 500, {}],
      ["a 429 without Retry-After", 429, {}],
      ["a 429 with Retry-After: 1", 429, { retryAfterSeconds: 1 }],
      ["a dropped connection", "reset", {}],
      ["an answer cut off mid-body", "truncate", {}],
    ] as Array<[string, VaultFault, VaultFaultOptions]>
  ).map(
    ([what, fault, options]): ReliabilityCase => ({
      name: `${what} once at the ${step}`,
      area: "refresh · vault",
      expected: { outcome: "exit 0", message: /Stored the new refresh token|refresh token/i, vault: "newest" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(1, fault, filterFor(s, step), options);
      },
      run: (s) => cli(s, "refresh", refreshArgs(s)),
    }),
  ),
);

const REDEEMED_NOT_STORED = /redeemed[\s\S]*(could not be stored|not stored)[\s\S]*valid until/i;

/** Lasting faults in refresh: a named error, the vault as it was. */
const lastingRefreshCases: ReliabilityCase[] = [
  ...(
    [
      ["503 on every client secret read", 503, "client secret read", {}, /Key Vault[\s\S]*503|unavailable/i],
      ["500 on every refresh token read", 500, "refresh token read", {}, /Key Vault/],
      ["a 403 role error on every client secret read, no --access-wait", 403, "client secret read", {}, /Secrets (Officer|User)|role/i],
      ["a 429 asking for an hour", 429, "refresh token read", { retryAfterSeconds: 3600 }, /Retry-After|3600|asked to wait/i],
      ["a vault that never answers the client secret read", "hang", "client secret read", {}, /deadline|no answer/i],
      ["every refresh token read answered with a body cut off mid-way", "truncate", "refresh token read", {}, /could not be read[\s\S]*not shown/],
      ["every client secret read answered with a body cut off mid-way", "truncate", "client secret read", {}, /could not be read[\s\S]*not shown/],
    ] as Array<[string, VaultFault, Step, VaultFaultOptions, RegExp]>
  ).map(
    ([name, fault, step, options, message]): ReliabilityCase => ({
      name,
      area: "refresh · vault",
      expected: { outcome: "exit 1", message, vault: "unchanged" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(50, fault, filterFor(s, step), options);
      },
      run: (s) => cli(s, "refresh", refreshArgs(s, fault === "hang" || fault === "truncate" ? ["--timeout", "3"] : [])),
    }),
  ),
  ...(
    [
      ["503 on every write-back", 503],
      ["a 403 on every write-back", 403],
      ["a 409 ObjectIsDeletedButRecoverable on the write-back", 409],
      ["a write-back that never gets an answer", "hang"],
    ] as Array<[string, VaultFault]>
  ).map(
    ([name, fault]): ReliabilityCase => ({
      name,
      area: "refresh · vault",
      expected: { outcome: "exit 1", message: REDEEMED_NOT_STORED, vault: "unchanged" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(50, fault, filterFor(s, "refresh token write"));
      },
      run: (s) => cli(s, "refresh", refreshArgs(s, fault === "hang" ? ["--timeout", "4"] : [])),
    }),
  ),
  {
    name: "the vault firewall refusing this machine",
    area: "refresh · vault",
    expected: { outcome: "exit 1", message: /203\.0\.113\.7[\s\S]*allowedIpRanges/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.setFirewall("203.0.113.7");
    },
    run: (s) => cli(s, "refresh", refreshArgs(s)),
  },
  {
    name: "a soft-deleted refresh-token secret",
    area: "refresh · vault",
    expected: { outcome: "exit 3", message: /az keyvault secret recover/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.deleteSecret(s.outputs.secretNames.refreshToken);
    },
    run: (s) => cli(s, "refresh", refreshArgs(s)),
  },
  {
    name: "a soft-deleted client-secret secret",
    standIns: { appCredential: "secret" },
    area: "refresh · vault",
    expected: { outcome: "exit 1", message: /recover[\s\S]*pulumi up/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.deleteSecret(s.outputs.secretNames.clientSecret!);
    },
    run: (s) => cli(s, "refresh", refreshArgs(s)),
  },
];

/** Status reads metadata only: passing faults are ridden out, lasting ones named within its deadline. */
const statusCases: ReliabilityCase[] = [
  ...(
    [
      ["a 503 once", 503, {}],
      ["a 429 without Retry-After once", 429, {}],
      ["a dropped connection once", "reset", {}],
    ] as Array<[string, VaultFault, VaultFaultOptions]>
  ).map(
    ([name, fault, options]): ReliabilityCase => ({
      name,
      area: "status · vault",
      expected: { outcome: "exit 0", message: /Refresh token: ok/, vault: "unchanged" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(1, fault, {}, options);
      },
      run: (s) => cli(s, "status", [...vaultUriArgs(s).slice(0, 2), "--timeout", "8"]),
    }),
  ),
  ...(
    [
      ["503 on every request", 503, /Key Vault/],
      ["a 403 role error on every request", 403, /role|Secrets (Officer|User)/i],
      ["a vault that never answers", "hang", /deadline/],
    ] as Array<[string, VaultFault, RegExp]>
  ).map(
    ([name, fault, message]): ReliabilityCase => ({
      name,
      area: "status · vault",
      expected: { outcome: "exit 1", message, vault: "unchanged" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(50, fault);
      },
      run: (s) => cli(s, "status", [...vaultUriArgs(s).slice(0, 2), "--timeout", "3"]),
    }),
  ),
  {
    name: "the vault firewall refusing this machine",
    area: "status · vault",
    expected: { outcome: "exit 1", message: /198\.51\.100\.23[\s\S]*allowedIpRanges/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.setFirewall("198.51.100.23");
    },
    run: (s) => cli(s, "status", vaultUriArgs(s).slice(0, 2)),
  },
  {
    name: "a soft-deleted refresh-token secret",
    area: "status · vault",
    expected: { outcome: "exit 3", message: /deleted[\s\S]*purge/i, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.deleteSecret(s.outputs.secretNames.refreshToken);
    },
    run: (s) => cli(s, "status", vaultUriArgs(s).slice(0, 2)),
  },
  {
    name: "a vault URI whose server asks for a token for another resource",
    area: "status · vault",
    expected: { outcome: "exit 1", message: /^(?![\s\S]*(disableChallengeResourceVerification|could not be reached))[\s\S]*not this vault's domain/, vault: "unchanged" },
    run: (s) => withChallengeServer('Bearer authorization="https://login.microsoftonline.com/common", resource="https://management.azure.com"', (url) => cli(s, "status", ["--vault-uri", url, "--timeout", "5"])),
  },
  {
    name: "--probe when Entra ID has revoked the token",
    area: "status · Entra ID",
    expected: { outcome: "exit 3", message: /bootstrap/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.entra.invalidateRefreshTokens({ code: 50173 });
    },
    run: (s) => cli(s, "status", [...vaultUriArgs(s), "--probe"]),
  },
];

/** Entra ID failing the redemption in refresh. */
const entraCases: ReliabilityCase[] = [
  {
    name: "temporarily_unavailable (503)",
    area: "refresh · Entra ID",
    expected: { outcome: "exit 1", message: /right now[\s\S]*Next:/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.entra.failNextToken({ status: 503, error: "temporarily_unavailable", code: 90033, description: "A transient error has occurred. Please try again." });
    },
    run: (s) => cli(s, "refresh", refreshArgs(s)),
  },
  {
    name: "server_error (500)",
    area: "refresh · Entra ID",
    expected: { outcome: "exit 1", message: /right now[\s\S]*Next:/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.entra.failNextToken({ status: 500, error: "server_error", code: 50000, description: "There was an error issuing a token or an issue with our sign-in service." });
    },
    run: (s) => cli(s, "refresh", refreshArgs(s)),
  },
  {
    name: "an expired client secret that `pulumi up` already replaced in the vault",
    standIns: { appCredential: "secret" },
    area: "refresh · Entra ID",
    expected: { outcome: "exit 0", message: /refresh token/i, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s);
      const replacement = "Rotated~ClientSecret0123456789abcdefghi";
      s.entra.expireClientSecret(s.clientId, replacement);
      s.vault.setSecret(s.outputs.secretNames.clientSecret!, replacement);
    },
    run: async (s) => {
      // The command read the old secret first only if it cached it; the stand-in answers 7000222 for the old one.
      return cli(s, "refresh", refreshArgs(s));
    },
  },
  {
    name: "a token endpoint that never answers",
    area: "refresh · Entra ID",
    expected: { outcome: "exit 1", message: /Entra ID[\s\S]*(deadline|no answer)/, vault: "unchanged" },
    setup: (s) => void seedRefreshToken(s),
    run: (s) => withHangingServer((url) => cli(s, "refresh", ["--outputs", writeOutputsFile(s), "--authority-host", url, "--timeout", "3", "--access-wait", "0"])),
  },
  {
    name: "a managed-identity endpoint that never answers",
    area: "refresh · Azure credential",
    expected: { outcome: "exit 1", message: /credential[\s\S]*(deadline|no answer)|(deadline|no answer)[\s\S]*credential/i, vault: "unchanged" },
    setup: (s) => void seedRefreshToken(s),
    run: (s) =>
      withHangingServer(async (url) => {
        const result = await runCli("refresh", refreshArgs(s, ["--timeout", "3"]), s.childEnv({ IDENTITY_ENDPOINT: `${url}/msi/token` }));
        return { outcome: `exit ${result.code}`, texts: [result.stdout, result.stderr] };
      }),
  },
];

/** Partner Center failing the check after a redemption: the rotated token is stored all the same. */
const partnerCenterCases: ReliabilityCase[] = (
  [
    ["a 500 from Partner Center's check", 500],
    ["a Partner Center that never answers the check", "hang"],
  ] as Array<[string, number | "hang"]>
).map(
  ([name, fault]): ReliabilityCase => ({
    name,
    area: "refresh · Partner Center",
    expected: { outcome: "exit 1", message: /Partner Center/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s);
      s.partnerCenter.failNext(50, fault);
    },
    run: (s) => cli(s, "refresh", [...vaultUriArgs(s), "--timeout", "4", "--access-wait", "0"]),
  }),
);

/** Signals during a refresh and during a bootstrap sign-in. */
const signalCases: ReliabilityCase[] = [
  ...(
    [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const
  ).map(
    ([signal, code]): ReliabilityCase => ({
      name: `${signal} while the write-back waits`,
      area: "refresh · signals",
      expected: { outcome: `exit ${code}`, message: /redeemed/i, vault: "unchanged" },
      setup: (s) => {
        seedRefreshToken(s);
        s.vault.failNext(5, "hang", filterFor(s, "refresh token write"));
      },
      run: (s) =>
        cliWith(s, "refresh", refreshArgs(s, ["--timeout", "20"]), async (running) => {
          await waitFor(() => s.vault.requests.some((r) => r.method === "PUT"));
          running.child.kill(signal);
        }),
    }),
  ),
  ...(
    [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const
  ).map(
    ([signal, code]): ReliabilityCase => ({
      name: `${signal} while the sign-in waits for the browser`,
      area: "bootstrap · signals",
      expected: { outcome: `exit ${code}`, message: /cancelled[\s\S]*nothing was stored/i, vault: "unchanged" },
      run: (s) =>
        cliWith(s, "bootstrap", ["--outputs", writeOutputsFile(s), "--no-browser"], async (running) => {
          await running.waitForStderr(/https:\/\/\S+\/authorize\S*/);
          running.child.kill(signal);
        }),
    }),
  ),
];

/** Faults before the bootstrap's sign-in: it must stop before asking anyone to sign in. */
const bootstrapCases: ReliabilityCase[] = [
  {
    name: "the vault firewall refusing this machine",
    area: "bootstrap · vault",
    expected: { outcome: "exit 1", message: /192\.0\.2\.44[\s\S]*allowedIpRanges/, vault: "unchanged" },
    setup: (s) => s.vault.setFirewall("192.0.2.44"),
    run: (s) => cli(s, "bootstrap", ["--outputs", writeOutputsFile(s), "--no-browser", "--access-wait", "0"]),
  },
  {
    name: "a soft-deleted refresh-token secret the deployer may not recover",
    area: "bootstrap · vault",
    expected: { outcome: "exit 3", message: /az keyvault secret (recover|purge)/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.deleteSecret(s.outputs.secretNames.refreshToken);
      s.vault.failNext(50, 403, { method: "POST" });
    },
    run: (s) => cli(s, "bootstrap", ["--outputs", writeOutputsFile(s), "--no-browser", "--access-wait", "0"]),
  },
  {
    name: "503 on every read of the app's credentials",
    area: "bootstrap · vault",
    expected: { outcome: "exit 1", message: /Key Vault/, vault: "unchanged" },
    setup: (s) => s.vault.failNext(50, 503, { method: "GET" }),
    run: (s) => cli(s, "bootstrap", ["--outputs", writeOutputsFile(s), "--no-browser", "--access-wait", "0"]),
  },
];

/**
 * A refresh token written two days ago, so `token`, `call` and the provider (which write back once a day) write
 * the rotated one back and the write-back faults below are met.
 */
const storedTwoDaysAgo = () => new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);

/** The token provider rides out passing faults and keeps serving when only the write-back fails. */
const providerCases: ReliabilityCase[] = [
  {
    name: "a 503 once on the refresh token read",
    area: "token provider · vault",
    expected: { outcome: "resolved", message: /^/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.failNext(1, 503, filterFor(s, "refresh token read"));
    },
    run: (s) => settle(() => provider(s).getAccessToken()),
  },
  {
    name: "a write-back refused every time",
    area: "token provider · vault",
    expected: { outcome: "resolved", message: /^/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.failNext(50, 503, filterFor(s, "refresh token write"));
    },
    run: (s) => settle(() => provider(s, { accessWaitMs: 0 }).getAccessToken()),
  },
  {
    name: "every refresh token read answered with a body cut off mid-way",
    area: "token provider · vault",
    expected: { outcome: "rejected VaultError", message: /could not be read[\s\S]*not shown/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.failNext(50, "truncate", filterFor(s, "refresh token read"));
    },
    run: (s) =>
      settle(() =>
        createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url, transientBudgetMs: 0 }).getAccessToken(),
      ),
  },
  {
    name: "the vault firewall refusing this machine",
    area: "token provider · vault",
    expected: { outcome: "rejected VaultError", message: /allowedIpRanges/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.setFirewall("203.0.113.9");
    },
    run: (s) => settle(() => provider(s).getAccessToken()),
  },
];

/** `token` and `call`: the same faults, seen by the commands other tools use. */
const toolCases: ReliabilityCase[] = [
  {
    name: "a 503 once at the refresh token read",
    area: "token · vault",
    // stdout is the token alone (shown here as "token"), and stderr is empty when it is not a terminal.
    expected: { outcome: "exit 0", message: /^token\n\n$/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.failNext(1, 503, filterFor(s, "refresh token read"));
    },
    run: async (s) => {
      const result = await runCli("token", refreshArgs(s), s.childEnv());
      return { outcome: `exit ${result.code}`, texts: [result.stdout.replace(/^eyJ[\w-]+\.[\w-]+\.[\w-]*\n$/, "token\n"), result.stderr] };
    },
  },
  {
    name: "the vault firewall refusing this machine",
    area: "token · vault",
    expected: { outcome: "exit 1", message: /allowedIpRanges/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.setFirewall("203.0.113.77");
    },
    run: (s) => cli(s, "token", refreshArgs(s)),
  },
  {
    name: "a write-back that never gets an answer",
    area: "token · vault",
    expected: { outcome: "exit 1", message: /redeemed|not stored|deadline/i, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.vault.failNext(50, "hang", filterFor(s, "refresh token write"));
    },
    run: async (s) => {
      const result = await runCli("token", refreshArgs(s, ["--timeout", "4"]), s.childEnv());
      return { outcome: `exit ${result.code}`, texts: [result.stderr, result.stdout === "" ? "" : "stdout not empty"] };
    },
  },
  {
    name: "a 429 once from Partner Center without Retry-After",
    area: "call · Partner Center",
    expected: { outcome: "exit 0", message: /companyName|tenantId/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.partnerCenter.failNext(1, 429, { retryAfter: null });
    },
    run: (s) => cli(s, "call", [...refreshArgs(s), "/v1/profiles/organization"]),
  },
  {
    name: "a 503 from Partner Center on every call",
    area: "call · Partner Center",
    expected: { outcome: "exit 1", message: /503[\s\S]*request id/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.partnerCenter.failNext(50, 503);
    },
    run: (s) => cli(s, "call", [...refreshArgs(s, ["--timeout", "6"]), "/v1/profiles/organization"]),
  },
  {
    name: "a Partner Center that never answers",
    area: "call · Partner Center",
    expected: { outcome: "exit 1", message: /Partner Center[\s\S]*deadline/, vault: "newest" },
    setup: (s) => {
      seedRefreshToken(s, { updatedOn: storedTwoDaysAgo() });
      s.partnerCenter.failNext(50, "hang");
    },
    run: (s) => cli(s, "call", [...refreshArgs(s, ["--timeout", "3"]), "/v1/profiles/organization"]),
  },
];

/** Several schedulers refreshing at once against Entra's real refresh-token semantics. */
const concurrencyCases: ReliabilityCase[] = [
  {
    name: "three refresh runs at the same time",
    area: "refresh · concurrency",
    expected: { outcome: "exit 0,0,0", message: /refresh token/i, vault: "rotated" },
    setup: (s) => void seedRefreshToken(s),
    run: async (s) => {
      const runs = await Promise.all([1, 2, 3].map(() => runCli("refresh", refreshArgs(s), s.childEnv())));
      return { outcome: `exit ${runs.map((r) => r.code).join(",")}`, texts: runs.flatMap((r) => [r.stdout, r.stderr]) };
    },
  },
];

function provider(s: StandIns, extra: { accessWaitMs?: number } = {}) {
  return createTokenProvider({
    keyVaultUri: s.vault.url,
    credential: s.entra.credential(),
    authorityHost: s.entra.url,
    partnerCenterEndpoint: s.partnerCenter.url,
    ...extra,
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An HTTPS server on loopback that accepts every request and never answers it. */
async function withHangingServer(use: (url: string) => Promise<CaseRun>): Promise<CaseRun> {
  const held: ServerResponse[] = [];
  const server = new LoopbackServer((_req, res) => void held.push(res), testTls());
  await server.start();
  try {
    return await use(`https://localhost:${server.port}`);
  } finally {
    for (const res of held.splice(0)) res.destroy();
    await server.stop();
  }
}

/** An HTTPS server on loopback that answers every request 401 with `challenge` as its WWW-Authenticate. */
async function withChallengeServer(challenge: string, use: (url: string) => Promise<CaseRun>): Promise<CaseRun> {
  const server = new LoopbackServer((_req, res) => {
    res.writeHead(401, { "www-authenticate": challenge });
    res.end();
  }, testTls());
  await server.start();
  try {
    return await use(`https://localhost:${server.port}`);
  } finally {
    await server.stop();
  }
}

export const faultCases: ReliabilityCase[] = [
  ...transientRefreshCases,
  ...lastingRefreshCases,
  ...statusCases,
  ...entraCases,
  ...partnerCenterCases,
  ...signalCases,
  ...bootstrapCases,
  ...providerCases,
  ...concurrencyCases,
  ...toolCases,
];
