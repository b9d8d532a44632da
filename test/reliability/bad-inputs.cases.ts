/**
 * Bad inputs: what a person mistypes and what a hostile local process feeds
 * the commands — flags, environment, stack-outputs files, vault contents and
 * library arguments. Every one must end in a named error with a next step, a
 * documented exit code, nothing secret on screen and the vault untouched.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { AuthorizationResponseCollector } from "../../bootstrap/src/sign-in/authorization-response";
import { LoopbackRedirectServer } from "../../bootstrap/src/sign-in/loopback-redirect-server";
import { parseStackConfig } from "../../infra/config";
import { createTokenProvider } from "../../bootstrap/src/entra/token-provider";
import { scratchDir, seedRefreshToken, vaultUriArgs, writeOutputsFile } from "../support/fixtures";
import type { StandIns } from "../support/stand-ins";
import { cli, settle, type ReliabilityCase } from "./harness";

const USAGE = /--help|Next:/;
const URL_PASSWORD = "hunter2-url-password";

/** Writes `content` (bytes or text) to a scratch file and returns its path. */
function file(name: string, content: string | Buffer): string {
  const target = path.join(scratchDir(), name);
  writeFileSync(target, content);
  return target;
}

/** A stack-outputs file with the stand-ins' outputs changed by `change`. */
function outputsWith(s: StandIns, change: (o: Record<string, unknown>) => void): string {
  const o = JSON.parse(JSON.stringify(s.outputs)) as Record<string, unknown>;
  change(o);
  return file("outputs.json", JSON.stringify(o));
}

interface FlagCase {
  name: string;
  args: (s: StandIns) => string[];
  message: RegExp;
  secrets?: string[];
}

/** Flags and outputs files that refresh and status both take (`--vault-uri`, `--stack`, `--outputs`, `--access-wait`). */
const targetCases: FlagCase[] = [
  { name: "an unknown option", args: () => ["--frobnicate"], message: /unknown option '--frobnicate'/ },
  { name: "--access-wait -1", args: (s) => [...vaultUriArgsFor(s), "--access-wait", "-1"], message: /--access-wait/ },
  { name: "--access-wait 3601", args: (s) => [...vaultUriArgsFor(s), "--access-wait", "3601"], message: /--access-wait must be a whole number from 0 to 3600/ },
  { name: "--access-wait 1.5", args: (s) => [...vaultUriArgsFor(s), "--access-wait", "1.5"], message: /--access-wait must be a whole number/ },
  { name: "--access-wait abc", args: (s) => [...vaultUriArgsFor(s), "--access-wait", "abc"], message: /--access-wait must be a whole number/ },
  { name: "--access-wait with an empty value", args: (s) => [...vaultUriArgsFor(s), "--access-wait", ""], message: /--access-wait must be a whole number/ },
  { name: "an http --vault-uri", args: () => ["--vault-uri", "http://pcsam-test-kv.vault.azure.net"], message: /--vault-uri.*https/ },
  { name: "a --vault-uri that is not a URL", args: () => ["--vault-uri", "pcsam test kv"], message: /--vault-uri/ },
  {
    name: "a --vault-uri with a password in it",
    args: () => ["--vault-uri", `https://user:${URL_PASSWORD}@pcsam-test-kv.vault.azure.net`],
    message: /--vault-uri.*(user ?name|password|credentials)/i,
    secrets: [URL_PASSWORD],
  },
  { name: "a --vault-uri with a fragment", args: () => ["--vault-uri", "https://pcsam-test-kv.vault.azure.net/#x"], message: /--vault-uri.*fragment/ },
  { name: "a --vault-uri with a query", args: () => ["--vault-uri", "https://pcsam-test-kv.vault.azure.net/?api-version=7.4"], message: /--vault-uri.*query/ },
  { name: "--vault-uri together with --stack", args: (s) => ["--vault-uri", s.vault.url, "--stack", "dev"], message: /cannot be combined/ },
  { name: "--stack together with --outputs", args: (s) => ["--stack", "dev", "--outputs", writeOutputsFile(s)], message: /alternatives/ },
  { name: "an empty --stack", args: () => ["--stack", ""], message: /--stack/ },
  { name: "an outputs file that does not exist", args: () => ["--outputs", "/nonexistent/pcsam/outputs.json"], message: /does not exist/ },
  {
    name: "an outputs file that is a directory",
    args: () => {
      const dir = path.join(scratchDir(), "outputs-dir");
      mkdirSync(dir);
      return ["--outputs", dir];
    },
    message: /Cannot read the stack outputs file/,
  },
  { name: "an empty outputs file", args: () => ["--outputs", file("empty.json", "")], message: /not valid JSON/ },
  { name: "an outputs file that is not JSON", args: () => ["--outputs", file("bad.json", "tenantId: x\n")], message: /not valid JSON/ },
  { name: "an outputs file holding a JSON array", args: () => ["--outputs", file("array.json", "[]")], message: /not a JSON object/ },
  { name: "an outputs file holding null", args: () => ["--outputs", file("null.json", "null")], message: /not a JSON object/ },
  {
    name: "an outputs file saved as UTF-16",
    args: (s) => ["--outputs", file("utf16.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(s.outputs), "utf16le")]))],
    message: /encod/i,
  },
  { name: "outputs without keyVaultUri", args: (s) => ["--outputs", outputsWith(s, (o) => delete o.keyVaultUri)], message: /keyVaultUri is missing/ },
  {
    name: "outputs with an http keyVaultUri",
    args: (s) => ["--outputs", outputsWith(s, (o) => (o.keyVaultUri = "http://pcsam-test-kv.vault.azure.net/"))],
    message: /keyVaultUri/,
  },
  { name: "outputs with a tenantId that is not a GUID", args: (s) => ["--outputs", outputsWith(s, (o) => (o.tenantId = "contoso"))], message: /tenantId/ },
  {
    name: "outputs naming the client secret and the refresh token alike",
    args: (s) =>
      ["--outputs", outputsWith(s, (o) => ((o.secretNames as Record<string, string>).refreshToken = (o.secretNames as Record<string, string>).clientCertificate ?? (o.secretNames as Record<string, string>).clientSecret))],
    message: /secretNames.*distinct|distinct.*secretNames/s,
  },
  {
    name: "outputs with a secret name Key Vault does not allow",
    args: (s) => ["--outputs", outputsWith(s, (o) => ((o.secretNames as Record<string, string>).refreshToken = "refresh_token"))],
    message: /secretNames/,
  },
  { name: "outputs with redirectUri on port 0", args: (s) => ["--outputs", outputsWith(s, (o) => (o.redirectUri = "http://localhost:0/"))], message: /redirectUri.*port/ },
  { name: "outputs with a query in redirectUri", args: (s) => ["--outputs", outputsWith(s, (o) => (o.redirectUri = "http://localhost:8400/?x=1"))], message: /redirectUri.*query/ },
  {
    name: "outputs with a path on authorityHost",
    args: (s) => ["--outputs", outputsWith(s, (o) => (o.authorityHost = `${s.entra.url}/common`))],
    message: /authorityHost.*path/,
  },
  { name: "outputs with scopes that are not a list", args: (s) => ["--outputs", outputsWith(s, (o) => (o.scopes = "openid"))], message: /scopes/ },
  {
    name: "outputs with two problems at once",
    args: (s) =>
      [
        "--outputs",
        outputsWith(s, (o) => {
          o.tenantId = "contoso";
          delete o.clientId;
        }),
      ],
    message: /tenantId[\s\S]*clientId|clientId[\s\S]*tenantId/,
  },
];

/** The stand-ins' vault by URI, for cases whose subject is another flag. */
function vaultUriArgsFor(s: StandIns): string[] {
  return ["--vault-uri", s.vault.url];
}

/** Endpoint flags and environment only refresh takes. */
const refreshOnlyCases: Array<FlagCase & { env?: Record<string, string> }> = [
  { name: "an http --authority-host", args: (s) => [...vaultUriArgs(s).slice(0, 2), "--authority-host", "http://login.example"], message: /--authority-host.*https/ },
  {
    name: "an --authority-host with a tenant path",
    args: (s) => [...vaultUriArgs(s).slice(0, 2), "--authority-host", `${s.entra.url}/organizations`],
    message: /--authority-host.*path/,
  },
  {
    name: "an --authority-host with a password in it",
    args: (s) => [...vaultUriArgs(s).slice(0, 2), "--authority-host", `https://me:${URL_PASSWORD}@login.example`],
    message: /--authority-host/,
    secrets: [URL_PASSWORD],
  },
  {
    name: "an http --partner-center-endpoint",
    args: (s) => [...vaultUriArgs(s).slice(0, 4), "--partner-center-endpoint", "http://api.partnercenter.example"],
    message: /--partner-center-endpoint.*https/,
  },
  {
    name: "a --partner-center-endpoint with a query",
    args: (s) => [...vaultUriArgs(s).slice(0, 4), "--partner-center-endpoint", `${s.partnerCenter.url}/?x=1`],
    message: /--partner-center-endpoint.*query/,
  },
  {
    name: "AZURE_AUTHORITY_HOST over http",
    args: (s) => [...vaultUriArgs(s).slice(0, 2)],
    env: { AZURE_AUTHORITY_HOST: "http://login.example" },
    message: /AZURE_AUTHORITY_HOST.*https/,
  },
  {
    name: "AZURE_AUTHORITY_HOST with a tenant path",
    args: (s) => [...vaultUriArgs(s).slice(0, 2)],
    env: { AZURE_AUTHORITY_HOST: "https://login.example/organizations" },
    message: /AZURE_AUTHORITY_HOST.*path/,
  },
  { name: "AZURE_AUTHORITY_HOST that is not a URL", args: (s) => [...vaultUriArgs(s).slice(0, 2)], env: { AZURE_AUTHORITY_HOST: "login" }, message: /AZURE_AUTHORITY_HOST/ },
];

const statusOnlyCases: FlagCase[] = [
  { name: "--warn-days -3", args: (s) => [...vaultUriArgsFor(s), "--warn-days", "-3"], message: /--warn-days/ },
  { name: "--warn-days 400", args: (s) => [...vaultUriArgsFor(s), "--warn-days", "400"], message: /--warn-days must be a whole number/ },
  { name: "--warn-days soon", args: (s) => [...vaultUriArgsFor(s), "--warn-days", "soon"], message: /--warn-days must be a whole number/ },
];

const bootstrapCases: FlagCase[] = [
  { name: "an unknown option", args: () => ["--no-such-flag"], message: /unknown option '--no-such-flag'/ },
  { name: "--timeout 0", args: (s) => ["--outputs", writeOutputsFile(s), "--timeout", "0"], message: /--timeout must be a whole number/ },
  { name: "--timeout abc", args: (s) => ["--outputs", writeOutputsFile(s), "--timeout", "abc"], message: /--timeout must be a whole number/ },
  { name: "--timeout 99999", args: (s) => ["--outputs", writeOutputsFile(s), "--timeout", "99999"], message: /--timeout must be a whole number/ },
  { name: "--access-wait -5", args: (s) => ["--outputs", writeOutputsFile(s), "--access-wait", "-5"], message: /--access-wait/ },
  { name: "an empty --stack", args: () => ["--stack", ""], message: /--stack/ },
  { name: "--stack together with --outputs", args: (s) => ["--stack", "dev", "--outputs", writeOutputsFile(s)], message: /--stack/ },
  { name: "an outputs file that does not exist", args: () => ["--outputs", "/nonexistent/pcsam/outputs.json"], message: /does not exist/ },
  {
    name: "outputs naming the client secret and the refresh token alike",
    args: (s) =>
      ["--outputs", outputsWith(s, (o) => ((o.secretNames as Record<string, string>).refreshToken = (o.secretNames as Record<string, string>).clientCertificate ?? (o.secretNames as Record<string, string>).clientSecret))],
    message: /distinct/,
  },
  {
    name: "outputs naming the tenant id and the client id secrets alike",
    args: (s) => ["--outputs", outputsWith(s, (o) => ((o.secretNames as Record<string, string>).tenantId = (o.secretNames as Record<string, string>).clientId))],
    message: /distinct/,
  },
  { name: "outputs with redirectUri on port 0", args: (s) => ["--outputs", outputsWith(s, (o) => (o.redirectUri = "http://localhost:0/"))], message: /redirectUri.*port/ },
  { name: "outputs with a query in redirectUri", args: (s) => ["--outputs", outputsWith(s, (o) => (o.redirectUri = "http://localhost:8400/?x=1"))], message: /redirectUri.*query/ },
  { name: "outputs with an ftp redirectUri", args: (s) => ["--outputs", outputsWith(s, (o) => (o.redirectUri = "ftp://localhost:8400/"))], message: /redirectUri/ },
  {
    name: "an outputs file saved as UTF-16",
    args: (s) => ["--outputs", file("utf16.json", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(s.outputs), "utf16le")]))],
    message: /encod/i,
  },
];

function flagCase(command: "refresh" | "status" | "bootstrap", c: FlagCase & { env?: Record<string, string> }): ReliabilityCase {
  return {
    name: c.name,
    area: `${command} flags`,
    expected: { outcome: "exit 2", message: new RegExp(`${c.message.source}[\\s\\S]*${USAGE.source}|${USAGE.source}[\\s\\S]*${c.message.source}`, c.message.flags), vault: "unchanged" },
    secrets: c.secrets,
    setup: (s) => void seedRefreshToken(s),
    run: (s) => cli(s, command, ["--no-browser", ...c.args(s)].filter((a) => command === "bootstrap" || a !== "--no-browser"), { env: c.env }),
  };
}

/** What the vault holds, as a hostile or careless writer could leave it. */
const vaultContentCases: ReliabilityCase[] = [
  {
    name: "no refresh token stored yet",
    area: "vault contents",
    expected: { outcome: "exit 3", message: /bootstrap/, vault: "unchanged" },
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "a refresh token of only whitespace",
    area: "vault contents",
    expected: { outcome: "exit 3", message: /bootstrap/, vault: "unchanged" },
    setup: (s) => void s.vault.setSecret(s.outputs.secretNames.refreshToken, "   \n"),
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "a refresh token Entra ID never issued",
    area: "vault contents",
    expected: { outcome: "exit 3", message: /bootstrap/, vault: "unchanged" },
    setup: (s) => void s.vault.setSecret(s.outputs.secretNames.refreshToken, "not-a-refresh-token-at-all"),
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "a refresh token with a trailing newline (pasted by hand)",
    area: "vault contents",
    expected: { outcome: "exit 0", message: /refresh token/i, vault: "newest" },
    setup: (s) => {
      const seeded = seedRefreshToken(s);
      s.vault.setSecret(s.outputs.secretNames.refreshToken, `${seeded.token}\n`, { tags: { ...seeded.tags } });
    },
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "no client secret in the vault",
    area: "vault contents",
    expected: { outcome: "exit 1", message: /pulumi up/, vault: "unchanged" },
    standIns: { seedVault: false },
    setup: (s) => {
      s.vault.setSecret(s.outputs.secretNames.clientId, s.clientId);
      s.vault.setSecret(s.outputs.secretNames.tenantId, s.tenantId);
      seedRefreshToken(s);
    },
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "a disabled client secret",
    standIns: { appCredential: "secret" },
    area: "vault contents",
    expected: { outcome: "exit 3", message: /pulumi up/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.setSecret(s.outputs.secretNames.clientSecret!, s.clientSecret!, { enabled: false });
    },
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "a client secret Entra ID does not know",
    standIns: { appCredential: "secret" },
    area: "vault contents",
    expected: { outcome: "exit 2", message: /pulumi up/, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.setSecret(s.outputs.secretNames.clientSecret!, "Wrong~SecretValue0123456789abcdefghij");
    },
    secrets: ["Wrong~SecretValue0123456789abcdefghij"],
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  },
  {
    name: "terminal escape sequences in the refresh token's tags",
    area: "vault contents",
    expected: { outcome: "exit 0", message: new RegExp(`^(?![\\s\\S]*${String.fromCharCode(27)})[\\s\\S]*Refresh token`), vault: "unchanged" },
    setup: (s) => void seedRefreshToken(s, { tags: { consentedBy: "\u001b[2J\u001b]0;pwned\u0007evil@contoso.example" } }),
    run: (s) => cli(s, "status", vaultUriArgs(s).slice(0, 2)),
  },
  {
    name: "a refresh token consented without MFA (bootstrap --allow-no-mfa)",
    area: "vault contents",
    expected: { outcome: "exit 3", message: /^(?![\s\S]*Healthy)[\s\S]*without MFA[\s\S]*partner-center-sam bootstrap/, vault: "unchanged" },
    setup: (s) => void seedRefreshToken(s, { tags: { mfa: "false" } }),
    run: (s) => cli(s, "status", vaultUriArgs(s).slice(0, 2)),
  },
  {
    name: "a tenant id secret that does not match the stack outputs",
    area: "vault contents",
    expected: { outcome: "exit 2", message: /tenant/i, vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.vault.setSecret(s.outputs.secretNames.tenantId, "00000000-0000-0000-0000-000000000001");
    },
    run: (s) => cli(s, "bootstrap", ["--no-browser", "--outputs", writeOutputsFile(s)]),
  },
];

/** Token endpoint answers to `refresh` that must end in a named error and leave the stored token alone. */
const tokenResponseCases: ReliabilityCase[] = (
  [
    ["an idle refresh token (AADSTS700082)", { error: "invalid_grant", code: 700082, description: "The refresh token has expired due to inactivity." }, 3, /not used for 90 days/],
    ["an expired refresh token (AADSTS70008)", { error: "invalid_grant", code: 70008, description: "The provided authorization code or refresh token has expired due to inactivity." }, 3, /expired/],
    ["the sign-in frequency policy (AADSTS70043)", { error: "invalid_grant", code: 70043, description: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access." }, 3, /sign-in frequency/],
    ["a revoked refresh token (AADSTS50173)", { error: "invalid_grant", code: 50173, description: "The provided grant has expired due to it being revoked, a fresh auth token is needed." }, 3, /revoked/],
    ["an MFA challenge with claims (AADSTS50076)", { error: "invalid_grant", code: 50076, description: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'." }, 3, /multi-factor/],
    ["an expired MFA (AADSTS50078)", { error: "invalid_grant", code: 50078, description: "Presented multi-factor authentication has expired due to policies configured by your administrator, you must refresh your multi-factor authentication to access." }, 3, /multi-factor authentication has expired/],
    ["a required MFA registration (AADSTS50079)", { error: "interaction_required", code: 50079, description: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication." }, 3, /register for multi-factor/],
    ["a Conditional Access block (AADSTS53003)", { error: "invalid_grant", code: 53003, description: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance." }, 3, /Conditional Access/],
    ["missing consent (AADSTS65001)", { error: "invalid_grant", code: 65001, description: "The user or administrator has not consented to use the application." }, 3, /not consented/],
    ["an unknown app (AADSTS700016)", { error: "unauthorized_client", code: 700016, description: "Application with identifier was not found in the directory." }, 2, /does not know this app or tenant/],
    ["a public-client answer (AADSTS700025)", { error: "invalid_client", code: 700025, description: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented." }, 2, /public client/],
    ["a malformed-request answer (invalid_request, AADSTS900144)", { error: "invalid_request", code: 900144, description: "The request body must contain the following parameter: 'grant_type'." }, 2, /malformed/],
    ["a refused scope (invalid_scope, AADSTS70011)", { error: "invalid_scope", code: 70011, description: "The provided value for the input parameter 'scope' is not valid." }, 2, /scopes/],
    ["a disabled app (unauthorized_client, AADSTS7000112)", { error: "unauthorized_client", code: 7000112, description: "Application is disabled." }, 2, /does not allow this app/],
    ["an unknown error with a number (AADSTS500011)", { status: 400, error: "invalid_resource", code: 500011, description: "The resource principal named https://api.partnercenter.microsoft.com was not found in the tenant." }, 1, /AADSTS500011/],
  ] as const
).map(
  ([name, fault, exit, message]): ReliabilityCase => ({
    name,
    area: "token responses",
    expected: { outcome: `exit ${exit}`, message: new RegExp(`${message.source}[\\s\\S]*Next:`), vault: "unchanged" },
    setup: (s) => {
      seedRefreshToken(s);
      s.entra.failNextToken({ ...fault });
    },
    run: (s) => cli(s, "refresh", vaultUriArgs(s)),
  }),
);

/** Bad arguments to the token provider: always a rejected promise or a TypeError at construction, never a crash. */
const providerCases: ReliabilityCase[] = [
  ...[
    ["a number as scopes", 42],
    ["a string instead of a list of scopes", "https://api.partnercenter.microsoft.com/.default"],
    ["an empty list of scopes", []],
    ["a list with an empty scope", [""]],
    ["an object with a non-list scopes field", { scopes: "openid" }],
  ].map(
    ([name, arg]): ReliabilityCase => ({
      name: `getAccessToken with ${name as string}`,
      area: "token provider arguments",
      expected: { outcome: "rejected TypeError", message: /scope/i, vault: "unchanged" },
      setup: (s) => void seedRefreshToken(s),
      run: (s) =>
        settle(() => {
          const provider = createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), authorityHost: s.entra.url, partnerCenterEndpoint: s.partnerCenter.url });
          return (provider.getAccessToken as (a: unknown) => Promise<string>)(arg);
        }),
    }),
  ),
  {
    name: "createTokenProvider with an http vault URI",
    area: "token provider arguments",
    expected: { outcome: "threw TypeError", message: /keyVaultUri.*https/, vault: "unchanged" },
    run: async () => settle(() => createTokenProvider({ keyVaultUri: "http://pcsam-test-kv.vault.azure.net" })),
  },
  {
    name: "createTokenProvider with the refresh token's secret name set to the app credential's (the certificate)",
    area: "token provider arguments",
    expected: { outcome: "threw UsageError", message: /secretNames\.clientCertificate and secretNames\.refreshToken are both/, vault: "unchanged" },
    run: async (s) =>
      settle(() => createTokenProvider({ keyVaultUri: s.vault.url, credential: s.entra.credential(), secretNames: { ...s.outputs.secretNames, refreshToken: s.outputs.secretNames.clientCertificate } })),
  },
  {
    name: "createTokenProvider with a path on the authority host",
    area: "token provider arguments",
    expected: { outcome: "threw TypeError", message: /authorityHost.*path/, vault: "unchanged" },
    run: async (s) => settle(() => createTokenProvider({ keyVaultUri: s.vault.url, authorityHost: `${s.entra.url}/common` })),
  },
];

const LISTENER_STATE = "reliability-state-0123456789";

/** Writes raw bytes to the listener and resolves with the status it answered (0 when it only closed). */
function rawRequest(port: number, raw: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(raw));
    let text = "";
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0));
    });
  });
}

/**
 * Hostile requests to the sign-in listener (another local process, or a web
 * page the browser has open): each gets an error page, and the listener still
 * completes with the real redirect that follows.
 */
const callbackCases: ReliabilityCase[] = (
  [
    ["a request target of two slashes", (p: number) => `GET // HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["an absolute-form target", (p: number) => `GET http://localhost:${p}/?code=forged&state=${LISTENER_STATE} HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["the asterisk form", (p: number) => `OPTIONS * HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["an unknown method", (p: number) => `BREW / HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["CONNECT", (p: number) => `CONNECT localhost:${p} HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 405],
    ["a POST to the redirect path", (p: number) => `POST /?code=forged&state=${LISTENER_STATE} HTTP/1.1\r\nHost: localhost:${p}\r\nContent-Length: 0\r\n\r\n`, 405],
    ["a header of 20 KB", (p: number) => `GET / HTTP/1.1\r\nHost: localhost:${p}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["a query of 10,000 characters", (p: number) => `GET /?code=${"c".repeat(10_000)}&state=${LISTENER_STATE} HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["binary garbage", () => Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]), 400],
    ["a DNS-rebinding Host header", (p: number) => `GET /?code=forged&state=${LISTENER_STATE} HTTP/1.1\r\nHost: attacker.example:${p}\r\n\r\n`, 400],
    ["a Host header naming another port", (p: number) => `GET /?code=forged&state=${LISTENER_STATE} HTTP/1.1\r\nHost: localhost:${p + 1}\r\n\r\n`, 400],
    ["an HTTP/1.0 request without Host", () => `GET /?code=forged&state=${LISTENER_STATE} HTTP/1.0\r\n\r\n`, 400],
    ["a wrong state", (p: number) => `GET /?code=forged&state=not-the-state HTTP/1.1\r\nHost: localhost:${p}\r\n\r\n`, 400],
    ["a negative Content-Length", (p: number) => `GET / HTTP/1.1\r\nHost: localhost:${p}\r\nContent-Length: -1\r\n\r\n`, 400],
  ] as Array<[string, (port: number) => string | Buffer, number]>
).map(
  ([name, request, status]): ReliabilityCase => ({
    name,
    area: "sign-in listener",
    expected: { outcome: `HTTP ${status}, then the real redirect completes`, message: /code=real-code/, vault: "unchanged" },
    run: async () => {
      const server = await LoopbackRedirectServer.start({ preferredPort: 18500, path: "/", fallbackPorts: { first: 18500, last: 18599 }, followUpGraceMs: 100 });
      try {
        const collector = new AuthorizationResponseCollector(LISTENER_STATE);
        server.serve(collector);
        const answered = await rawRequest(server.port, request(server.port));
        const real = await rawRequest(server.port, `GET /?code=real-code&state=${LISTENER_STATE} HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`);
        const response = await collector.response;
        return { outcome: `HTTP ${answered}, then the real redirect ${real === 302 && response.code === "real-code" ? "completes" : `answers ${real}`}`, texts: [`code=${response.code}`] };
      } finally {
        await server.close();
      }
    },
  }),
);

const P = "partner-center-sam";

/**
 * Stack configuration a person sets with `pulumi config set` (possibly with
 * `--secret`): the program refuses it before declaring anything, naming the
 * key and the rule but never the value.
 */
const configCases: ReliabilityCase[] = (
  [
    ["a key vault name with a double hyphen", "keyVaultName", "kv--secretish-7f3a"],
    ["a key vault name of 30 characters", "keyVaultName", "kvsecretish7f3aabcdefghijklmno"],
    ["a redirect URI on port 0", "redirectUri", "http://localhost:0/secretish-7f3a"],
    ["a redirect URI with a query", "redirectUri", "http://localhost:8400/?secretish=7f3a"],
    ["a redirect URI with a user name", "redirectUri", "https://secretish-7f3a@app.example/cb"],
    ["a rotation of 0 days", "clientSecretRotationDays", "0"],
    ["a rotation of 99999 days", "clientSecretRotationDays", "99999"],
    ["a grace period of 91 days", "clientSecretGraceDays", "91"],
    ["an administrator that is not an object id", "administrators", JSON.stringify(["secretish-7f3a"])],
    ["an IP range that is no address", "allowedIpRanges", JSON.stringify(["300.1.1.1/secretish"])],
    ["an http authority host", "authorityHost", "http://login.secretish-7f3a.example"],
    ["purge protection set to 'maybe'", "purgeProtection", "maybe-secretish-7f3a"],
    ["a Graph scope name with spaces", "graphScopes", JSON.stringify(["Secretish 7f3a All"])],
    ["a soft-delete retention of 3 days", "softDeleteRetentionDays", "3"],
    ["administrators that are not a JSON list", "administrators", "{secretish-7f3a"],
  ] as Array<[string, string, string]>
).map(
  ([name, key, value]): ReliabilityCase => ({
    name,
    area: "Pulumi config",
    expected: { outcome: "threw ConfigValidationError", message: new RegExp(`${P}:${key}`), vault: "unchanged" },
    secrets: value.length > 3 ? [value] : [],
    run: async () => settle(() => parseStackConfig({ "azure-native:location": "westeurope", [`${P}:${key}`]: value }, P, "dev")),
  }),
);

export const badInputCases: ReliabilityCase[] = [
  ...targetCases.map((c) => flagCase("refresh", c)),
  ...targetCases.map((c) => flagCase("status", c)),
  ...refreshOnlyCases.map((c) => flagCase("refresh", c)),
  ...statusOnlyCases.map((c) => flagCase("status", c)),
  ...bootstrapCases.map((c) => flagCase("bootstrap", c)),
  ...vaultContentCases,
  ...tokenResponseCases,
  ...providerCases,
  ...configCases,
  ...callbackCases,
];
