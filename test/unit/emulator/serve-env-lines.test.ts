/**
 * What `partner-center-sam emulator` prints for another shell: POSIX `export`
 * lines and PowerShell `$env:` lines, both, on every system.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { announcementText, posixEnvLines, powerShellEnvLines, type EmulatorAnnouncement } from "../../../emulator/serve";

const env = {
  AZURE_AUTHORITY_HOST: "https://localhost:41001",
  NODE_EXTRA_CA_CERTS: "/tmp/pcsam emu/ca.pem",
  NODE_OPTIONS: '--require "/tmp/it\'s here/localhost-names-preload.cjs"',
};

const a: EmulatorAnnouncement = {
  authorityHost: "https://localhost:41001",
  keyVaultUri: "https://kv.vault.localhost:41002/",
  partnerCenterEndpoint: "https://localhost:41003",
  graphEndpoint: "https://graph.localhost:41004",
  tenantId: "t",
  clientId: "c",
  outputsFile: "/tmp/outputs.json",
  caCertificateFile: "/tmp/ca.pem",
  env,
  users: [{ username: "admin@contoso.example", password: "p", mfaCode: "123456" }],
  customers: [],
};

describe("the emulator's environment lines", () => {
  it("prints both the POSIX export lines and the PowerShell $env: lines in its text", () => {
    const text = announcementText(a);
    expect(text).toMatch(/^ {2}export AZURE_AUTHORITY_HOST=https:\/\/localhost:41001$/m);
    expect(text).toMatch(/^ {2}\$env:AZURE_AUTHORITY_HOST = 'https:\/\/localhost:41001'$/m);
    expect(text).toMatch(/^ {2}\$env:NODE_EXTRA_CA_CERTS = '\/tmp\/pcsam emu\/ca\.pem'$/m);
    expect(text.indexOf("export NODE_OPTIONS")).toBeLessThan(text.indexOf("$env:NODE_OPTIONS"));
  });

  it("quotes PowerShell values in single quotes, doubling a quote, and adds to an existing NODE_OPTIONS", () => {
    expect(powerShellEnvLines(env)).toEqual([
      "$env:AZURE_AUTHORITY_HOST = 'https://localhost:41001'",
      "$env:NODE_EXTRA_CA_CERTS = '/tmp/pcsam emu/ca.pem'",
      `$env:NODE_OPTIONS = ('--require "/tmp/it''s here/localhost-names-preload.cjs" ' + $env:NODE_OPTIONS).Trim()`,
    ]);
  });

  it("gives POSIX lines that a shell turns into exactly these values, keeping an existing NODE_OPTIONS", () => {
    const script = [...posixEnvLines(env), 'printf "%s\\n%s\\n%s" "$AZURE_AUTHORITY_HOST" "$NODE_EXTRA_CA_CERTS" "$NODE_OPTIONS"'].join("\n");
    const out = execFileSync("sh", ["-c", script], { env: { PATH: process.env.PATH, NODE_OPTIONS: "--max-old-space-size=100" }, encoding: "utf8" });
    expect(out.split("\n")).toEqual([env.AZURE_AUTHORITY_HOST, env.NODE_EXTRA_CA_CERTS, `${env.NODE_OPTIONS} --max-old-space-size=100`]);
  });
});
