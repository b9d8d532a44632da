/**
 * `npm run bootstrap` against hostile input, end to end against the stand-ins:
 * requests to its sign-in listener that must neither crash it nor be taken for
 * the redirect, the listener on ::1, SIGINT/SIGTERM during the sign-in, bad
 * stack outputs and URL inputs, and text from outside that carries terminal
 * escape sequences. Every refused run leaves the vault as it was.
 */
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStandIns, type StandIns } from "../support/stand-ins";
import {
  BootstrapHarness,
  deliverLikeABrowser,
  expectNoSecretOnScreen,
  getFromLoopback,
  jsonDocument,
  redirectUriOf,
  refreshTokenVersions,
  sendRawToLoopback,
} from "./bootstrap-helpers";
import { freeLoopbackPort } from "../support/free-port";

/** This file's redirect port: free when the file starts, so files running at the same time never share one. */
const PORT = freeLoopbackPort();
const ARGS = ["--no-browser", "--timeout", "30"];

let s: StandIns;
let h: BootstrapHarness;

beforeAll(async () => {
  s = await startStandIns({ appCredential: "secret" }); // the vault-value tests below are about the client secret
  h = new BootstrapHarness(s, PORT);
});

afterAll(async () => {
  await h?.cleanup();
  await s?.stop();
});

function codeRedemptions(): number {
  return s.entra.tokenRequests.filter((r) => r.grantType === "authorization_code").length;
}

/** Every version of every one of the four secrets, to prove a refused run wrote nothing anywhere. */
function wholeVault(): unknown {
  return Object.values(s.outputs.secretNames).map((name) => s.vault.versions(name).map(({ version, value, enabled }) => ({ name, version, value, enabled })));
}

/** The error code of a plain TCP connection attempt, or "connected". */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("the sign-in listener of a running bootstrap", () => {
  it("answers malformed and hostile requests with error pages, redeems none of them, and still completes with the real redirect", async () => {
    const redemptions = codeRedemptions();
    const { cli, authorizeUrl } = h.start([...ARGS, "--json"]);
    const url = await authorizeUrl();
    const state = new URL(url).searchParams.get("state") ?? "";
    const port = Number(new URL(redirectUriOf(url)).port);
    const host = `Host: localhost:${port}\r\n`;
    const hostile: Array<[string, string | Buffer, number]> = [
      ["two slashes (crashed the listener before)", `GET // HTTP/1.1\r\n${host}\r\n`, 400],
      ["absolute form", `GET http://localhost:${port}/?code=forged-absolute&state=${state} HTTP/1.1\r\n${host}\r\n`, 400],
      ["asterisk form", `OPTIONS * HTTP/1.1\r\n${host}\r\n`, 400],
      ["unknown method", `BREW / HTTP/1.1\r\n${host}\r\n`, 400],
      ["POST with the state", `POST /?code=forged-post&state=${state} HTTP/1.1\r\n${host}Content-Length: 0\r\n\r\n`, 405],
      ["oversized header", `GET / HTTP/1.1\r\n${host}X-Pad: ${"p".repeat(20_000)}\r\n\r\n`, 431],
      ["oversized query", `GET /?state=${state}&code=${"c".repeat(9000)} HTTP/1.1\r\n${host}\r\n`, 400],
      ["binary garbage", Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 13, 10, 13, 10]), 400],
      // A page on another site whose name was rebound to 127.0.0.1 sends its own Host.
      ["DNS rebinding", `GET /?code=forged-rebound&state=${state} HTTP/1.1\r\nHost: attacker.example:${port}\r\n\r\n`, 400],
    ];
    for (const [name, raw, status] of hostile) {
      const reply = await sendRawToLoopback(port, raw);
      expect(reply.status, `${name}: ${reply.text.slice(0, 200)}`).toBe(status);
      expect(reply.text).not.toContain("forged");
      expect(cli.child.exitCode, name).toBeNull();
    }
    const { loopbackAnswer, finalPage } = await deliverLikeABrowser(await h.signIn(url));
    expect(loopbackAnswer.status).toBe(302);
    expect(finalPage?.body).toContain("Sign-in complete");
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(jsonDocument(result.stdout)).toMatchObject({ ok: true });
    expect(codeRedemptions()).toBe(redemptions + 1);
    expect(s.entra.tokenRequests.some((r) => JSON.stringify(r).includes("forged"))).toBe(false);
  });

  it("also listens on ::1, where localhost may resolve, and completes when the browser comes over IPv6", async () => {
    const { cli, authorizeUrl } = h.start([...ARGS, "--json"]);
    const url = await authorizeUrl();
    const port = Number(new URL(redirectUriOf(url)).port);
    expect(await tryConnect("::1", port)).toBe("connected");
    const redirect = await h.signIn(url);
    const answer = await getFromLoopback(redirect, "::1");
    expect(answer.status).toBe(302);
    expect((await getFromLoopback(answer.location ?? "", "::1")).body).toContain("Sign-in complete");
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(await tryConnect("::1", port)).toBe("ECONNREFUSED");
    expect(await tryConnect("127.0.0.1", port)).toBe("ECONNREFUSED");
  });

  it("moves to another port when another process holds the redirect port on ::1 only, and announces the port it bound", async () => {
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => squatter.once("error", reject).listen({ port: PORT, host: "::1", exclusive: true }, resolve));
    let reached = 0;
    squatter.on("connection", () => reached++);
    try {
      const { cli, authorizeUrl } = h.start([...ARGS, "--json"]);
      const [, port] = await cli.waitForStderr(new RegExp(`Port ${PORT} is busy; listening on (\\d+) instead`));
      const url = await authorizeUrl();
      expect(redirectUriOf(url)).toBe(`http://localhost:${port}/`);
      const redirect = await h.signIn(url);
      expect(redirect.port).toBe(port);
      await deliverLikeABrowser(redirect);
      expect((await cli.done).code).toBe(0);
      expect(reached).toBe(0);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});

describe("a termination signal during the sign-in", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s closes the listener, says cancelled, writes nothing and exits %i", async (signal, exitCode) => {
    const before = wholeVault();
    let port = 0;
    for (const json of [false, true]) {
      await h.expectRefused(json, { exitCode, code: "cancelled", message: [new RegExp(`^Sign-in cancelled \\(${signal}\\)`), /nothing was stored/], hint: [/partner-center-sam bootstrap/] }, async () => {
        const { cli, authorizeUrl } = h.start(json ? [...ARGS, "--json"] : ARGS);
        port = Number(new URL(redirectUriOf(await authorizeUrl())).port);
        await cli.waitForStderr(/Waiting for the sign-in to finish/);
        expect(await tryConnect("127.0.0.1", port)).toBe("connected");
        cli.child.kill(signal);
        return cli.done;
      });
      expect(await tryConnect("127.0.0.1", port)).toBe("ECONNREFUSED");
      expect(await tryConnect("::1", port)).toBe("ECONNREFUSED");
    }
    expect(wholeVault()).toEqual(before);
  });
});

describe("bad input refused before anything is read or written", () => {
  const outputsCases: Array<[string, () => Record<string, unknown>, RegExp[]]> = [
    [
      "secret names where the refresh token would overwrite the client secret",
      () => h.outputs({ secretNames: { ...s.outputs.secretNames, refreshToken: s.outputs.secretNames.clientSecret } }),
      [/secretNames\.clientSecret and secretNames\.refreshToken are both/, /distinct secret name/],
    ],
    ["a redirect URI on port 0", () => h.outputs({ redirectUri: "http://localhost:0/" }), [/redirectUri is "http:\/\/localhost:0\/"/, /port 0/]],
    ["a redirect URI with a query", () => h.outputs({ redirectUri: `http://localhost:${PORT}/?x=1` }), [/redirectUri .*query string/]],
    ["an authority host with a path", () => h.outputs({ authorityHost: `${s.outputs.authorityHost}/${s.tenantId}` }), [/authorityHost .*it has a path/]],
    ["a vault URI with a password", () => h.outputs({ keyVaultUri: s.vault.url.replace("https://", "https://deployer:Vault-P4ssw0rd@") }), [/keyVaultUri is "https:\/\/\*\*\*@/, /user name or password/]],
  ];

  it.each(outputsCases)("exits 2 on outputs with %s, touching no secret", async (_case, outputs, message) => {
    const before = wholeVault();
    const requests = s.vault.requests.length;
    const result = await h.expectRefused(true, { exitCode: 2, code: "stack_outputs_invalid", message, hint: [/pulumi up/] }, () => h.run([...ARGS, "--json"], { outputs: outputs() }));
    expect(wholeVault()).toEqual(before);
    expect(s.vault.requests.length).toBe(requests);
    expect(result.stderr).not.toContain("P4ssw0rd");
  });

  it("exits 2 on an empty --stack instead of silently using the selected stack", async () => {
    await h.expectRefused(true, { exitCode: 2, code: "invalid_options", message: [/--stack must name a Pulumi stack/] }, () => h.run(["--stack", "", ...ARGS, "--json"], { outputs: null }));
  });

  it("exits 2 with a message, not an MSAL stack, when AZURE_AUTHORITY_HOST has a path", async () => {
    const result = await h.expectRefused(
      false,
      { exitCode: 2, code: "invalid_options", message: [/AZURE_AUTHORITY_HOST \(environment\) must be an https URL of the host only/, /it has a path \("\/common\/v2\.0"\)/] },
      () => h.run(ARGS, { env: { AZURE_AUTHORITY_HOST: `${s.outputs.authorityHost}/common/v2.0` } }),
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toMatch(/oauth2\/v2\.0\/authorize/);
  });

  it("exits 2 with an encoding message on an outputs file saved as UTF-16", async () => {
    const file = path.join(h.newDir("utf16"), "outputs.json");
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(h.outputs()), "utf16le")]));
    await h.expectRefused(true, { exitCode: 2, code: "outputs_file_encoding", message: [/UTF-16/, /must be UTF-8/], hint: [/Out-File -Encoding utf8/] }, () =>
      h.run(["--outputs", file, ...ARGS, "--json"], { outputs: null }),
    );
  });

  it("accepts an outputs file with a UTF-8 byte order mark and stores the token", async () => {
    const file = path.join(h.newDir("bom"), "outputs.json");
    writeFileSync(file, `\uFEFF${JSON.stringify(h.outputs(), null, 2)}`);
    const versions = refreshTokenVersions(s).length;
    const { result } = await h.signInAndFinish(["--outputs", file, ...ARGS, "--json"], { outputs: null });
    expect(result.code, result.stderr).toBe(0);
    expect(refreshTokenVersions(s)).toHaveLength(versions + 1);
  });
});

describe("values read from the vault", () => {
  it("are used without surrounding whitespace, so ids and the client secret pasted with a newline still work", async () => {
    const names = s.outputs.secretNames;
    const originals = [names.clientId, names.tenantId, names.clientSecret!].map((name) => [name, s.vault.latest(name)?.value ?? ""] as const);
    s.vault.setSecret(names.clientId, `${s.clientId}\n`);
    s.vault.setSecret(names.tenantId, ` ${s.tenantId}\r\n`);
    s.vault.setSecret(names.clientSecret!, `${s.clientSecret!}\n`);
    try {
      const { result } = await h.signInAndFinish([...ARGS, "--json"]);
      expect(result.code, result.stderr).toBe(0);
      expect(jsonDocument(result.stdout)).toMatchObject({ ok: true, clientId: s.clientId, tenantId: s.tenantId });
    } finally {
      for (const [name, value] of originals) s.vault.setSecret(name, value);
    }
  });
});

describe("text from outside with terminal escape sequences", () => {
  it("prints Entra's error description without its escape sequences or carriage returns", async () => {
    s.entra.failNextAuthorize({
      error: "access_denied",
      description: "AADSTS53003: Access has been blocked by Conditional Access policies.\u001b[2J\u001b]0;owned\u0007\r\u001b[1A✔ Stored the refresh token",
    });
    const result = await h.expectRefused(false, { exitCode: 3, code: "conditional_access_blocked", message: [/Conditional Access/] }, async () => (await h.signInAndFinish(ARGS)).result);
    // eslint-disable-next-line no-control-regex
    expect(result.stderr + result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it("prints the Partner Center organization name without its escape sequences", async () => {
    const original = s.partnerCenter.organization.companyName;
    s.partnerCenter.organization.companyName = "Contoso\u001b[31m Evil\u001b[0m\u202e Ltd";
    try {
      const { result } = await h.signInAndFinish(ARGS);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Partner Center organization: Contoso Evil Ltd (${s.partnerCenter.organization.id})`);
      // eslint-disable-next-line no-control-regex
      expect(result.stderr + result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    } finally {
      s.partnerCenter.organization.companyName = original;
    }
  });
});

describe("what the bootstrap printed in all of the above", () => {
  it("contains no token, code, client secret, password or MFA code", () => {
    expectNoSecretOnScreen(h, 10);
  });
});
