/**
 * The program as `pulumi up` starts it: Pulumi's own Node.js runner
 * (@pulumi/pulumi/cmd/run) with the arguments, environment and working
 * directory the language host derives from Pulumi.yaml, compiling infra/
 * through Pulumi's ts-node registration with the tsconfig Pulumi.yaml names —
 * against the engine stand-in instead of the Pulumi CLI and Azure.
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProgramRun, runPulumiProgram } from "./pulumi-language-host";
import { FAKE, TYPES, ofType, single, stableGuid } from "./pulumi-mocks";

const root = process.cwd();
const CHILD_TIMEOUT = 120_000;
const APP_URN = "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/application:Application::app";
const APP_SP_URN =
  "urn:pulumi:dev::partner-center-sam::partner-center-sam:index:PartnerCenterApp$azuread:index/servicePrincipal:ServicePrincipal::app";

let scratch: string;
let tsNodeCache: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "pcsam-entry-"));
  tsNodeCache = path.join(scratch, "ts-node-cache");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the project (sharing node_modules) that a test may break. */
function projectCopy(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(path.join(dir, "bootstrap"), { recursive: true });
  // The program imports the contract and validators the commands share from bootstrap/src.
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "tsconfig.json", "infra", path.join("bootstrap", "src")]) {
    cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function customResources(run: ProgramRun) {
  return (run.report?.resources ?? []).filter((r) => r.custom);
}

describe("the program started the way `pulumi up` starts it", () => {
  let run: ProgramRun;

  beforeAll(async () => {
    run = await runPulumiProgram({ projectDir: root, stack: "dev", tsNodeCacheDir: tsNodeCache });
  }, CHILD_TIMEOUT);

  it("compiles infra/ with Pulumi's TypeScript path and runs to completion", () => {
    expect([run.exitCode, run.stderr]).toEqual([0, ""]);
  });

  it("declares the stack from infra/ — not the package's library entry point — with Pulumi.dev.yaml's settings", () => {
    const vault = single(run.report?.resources ?? [], TYPES.vault, "vault");
    expect(vault.inputs["location"]).toBe("westeurope");
    expect(vault.inputs["properties"].softDeleteRetentionInDays).toBe(7);
    expect("enablePurgeProtection" in vault.inputs["properties"]).toBe(false);
    expect(single(run.report?.resources ?? [], TYPES.rotating, "client-secret-rotation").inputs).toEqual({
      rotationDays: 90,
      triggers: { rotationDays: "90", graceDays: "30" },
    });
    expect(ofType(run.report?.resources ?? [], TYPES.grant)).toEqual([]);
    // The certificate (key, certificate, key credential, vault secret) in place of the client secret and its vault secret.
    expect(customResources(run)).toHaveLength(13);
    expect(ofType(run.report?.resources ?? [], TYPES.password)).toEqual([]);
    expect(ofType(run.report?.resources ?? [], TYPES.certificate)).toHaveLength(1);
  });

  it("exports the stack outputs, none of them secret", () => {
    const clientId = stableGuid(`${APP_URN}#client`);
    const vaultName = run.report?.outputs["keyVaultName"];
    expect(vaultName).toMatch(/^pcsam-dev-[a-z0-9]{6}$/);
    expect(run.report?.outputs).toEqual({
      tenantId: FAKE.tenantId,
      clientId,
      applicationObjectId: stableGuid(`${APP_URN}#object`),
      servicePrincipalObjectId: stableGuid(`${APP_SP_URN}#object`),
      redirectUri: "http://localhost:8400/",
      keyVaultName: vaultName,
      keyVaultUri: `https://${vaultName}.vault.azure.net/`,
      secretNames: {
        clientId: "partnercenter-client-id",
        clientCertificate: "partnercenter-client-certificate",
        tenantId: "partnercenter-tenant-id",
        refreshToken: "partnercenter-refresh-token",
      },
      scopes: ["https://api.partnercenter.microsoft.com/user_impersonation"],
      authorityHost: "https://login.microsoftonline.com",
      partnerCenterEndpoint: "https://api.partnercenter.microsoft.com",
      graphEndpoint: "https://graph.microsoft.com",
      clientCertificateExpiresAt: "2025-06-29T12:00:00Z",
      clientCertificateThumbprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      adminConsentUrl: `https://login.microsoftonline.com/${FAKE.tenantId}/adminconsent?client_id=${clientId}`,
      multiTenant: false,
      customerGraphScopes: [],
      customerInclude: [],
      customerExclude: [],
      gdapRoles: [],
    });
    expect(run.report?.secretOutputs).toEqual([]);
  });

  it("opens no network connection", () => {
    expect(run.blockedConnections).toEqual([]);
  });

  it(
    "previews the same way (`pulumi preview`)",
    async () => {
      const preview = await runPulumiProgram({ projectDir: root, stack: "dev", preview: true, tsNodeCacheDir: tsNodeCache });
      expect([preview.exitCode, preview.stderr]).toEqual([0, ""]);
      const urns = (of: ProgramRun) => customResources(of).map((r) => r.urn).sort();
      expect(urns(preview)).toEqual(urns(run));
    },
    CHILD_TIMEOUT,
  );
});

describe("a run that must fail", () => {
  it(
    "stops on invalid configuration before declaring any resource, listing every problem without printing a value",
    async () => {
      const run = await runPulumiProgram({
        projectDir: root,
        stack: "dev",
        tsNodeCacheDir: tsNodeCache,
        config: { "partner-center-sam:keyVaultName": "9-lives", "partner-center-sam:redirectUri": "http://contoso.com/" },
      });
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain("The stack configuration has 2 invalid settings; nothing was deployed.");
      expect(run.stderr).toContain("partner-center-sam:keyVaultName: must be 3–24 characters");
      expect(run.stderr).toContain("partner-center-sam:redirectUri: must be http://localhost[:port]/…");
      expect(run.stderr).not.toContain("9-lives");
      expect(run.stderr).not.toContain("contoso.com");
      expect(run.stderr).not.toMatch(/\n\s+at /); // a RunError: Pulumi prints no stack trace
      expect(customResources(run)).toEqual([]);
    },
    CHILD_TIMEOUT,
  );

  it(
    "fails the update when a Graph scope is unknown, naming it, before the app is registered",
    async () => {
      const run = await runPulumiProgram({
        projectDir: root,
        stack: "dev",
        tsNodeCacheDir: tsNodeCache,
        config: { "partner-center-sam:graphScopes": ["DelegatedAdminRelationship.ReadWrite.All", "Directory.ReadWrite.Alll"] },
      });
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain('Microsoft Graph publishes no delegated permission named "Directory.ReadWrite.Alll"');
      expect(ofType(customResources(run), TYPES.application)).toEqual([]);
    },
    CHILD_TIMEOUT,
  );

  it(
    "fails the update when an administrator is a group, which cannot own an app, before the app is registered",
    async () => {
      const run = await runPulumiProgram({
        projectDir: root,
        stack: "dev",
        tsNodeCacheDir: tsNodeCache,
        config: { "partner-center-sam:administrators": ["11111111-2222-4333-8444-555555555555", "22222222-3333-4444-8555-666666666666"] },
      });
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain(
        "partner-center-sam:administrators item 1 is a group: Entra ID lets only users and service principals own an app registration.",
      );
      expect(ofType(customResources(run), TYPES.application)).toEqual([]);
    },
    CHILD_TIMEOUT,
  );

  it(
    'fails when package.json says "type": "module" (azure-native has no exports map; Pulumi then loads infra/ as ESM)',
    async () => {
      const dir = projectCopy("esm");
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, type: "module" }));
      const run = await runPulumiProgram({ projectDir: dir, stack: "dev" });
      expect(run.exitCode).not.toBe(0);
      // The cause: Node's own ES module loader, not Pulumi's TypeScript compile, took infra/index.ts — seen in the
      // loader's stack frames (Node < 22.18 refuses ".ts") or the file:// URL it names modules by (later versions strip
      // the types, then reject what ESM cannot run). The runtime's wording differs; this does not.
      expect(run.stderr).toMatch(/node:internal\/modules\/esm\/|file:\/\/\/\S*infra\/index\.ts/);
      expect(run.stderr).not.toContain("Unable to compile TypeScript");
      expect(customResources(run)).toEqual([]);
    },
    CHILD_TIMEOUT,
  );

  it(
    "fails on a strict-mode type error, so the tsconfig Pulumi.yaml names is the one in force",
    async () => {
      const dir = projectCopy("strict");
      appendFileSync(path.join(dir, "infra", "naming.ts"), "\nexport function untyped(value) {\n  return value;\n}\n");
      const run = await runPulumiProgram({ projectDir: dir, stack: "dev" });
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain("Unable to compile TypeScript");
      expect(run.stderr).toContain("naming.ts(");
      expect(run.stderr).toContain("error TS7006: Parameter 'value' implicitly has an 'any' type.");
      expect(customResources(run)).toEqual([]);
    },
    CHILD_TIMEOUT,
  );
});
