import { describe, expect, it } from "vitest";
import { DEFAULT_SECRET_NAMES } from "../../../bootstrap/src/core/contract";
import { judgeStatus } from "../../../bootstrap/src/flows/status-report";
import { humanReport } from "../../../bootstrap/src/cli/status";
import type { SecretMetadata } from "../../../bootstrap/src/vault/vault-store";
import { parseStackOutputs } from "../../../bootstrap/src/vault/stack-outputs";
import { validStackOutputs } from "../fixtures";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-03-01T12:00:00.000Z");
const VAULT = "https://kv-pcsam-test.vault.azure.net/";
const THUMBPRINT = "3f".repeat(32);
/** A certificate stack's names (the default appCredential). */
const NAMES = { clientId: DEFAULT_SECRET_NAMES.clientId, clientCertificate: DEFAULT_SECRET_NAMES.clientCertificate, tenantId: DEFAULT_SECRET_NAMES.tenantId, refreshToken: DEFAULT_SECRET_NAMES.refreshToken };
const daysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY);

function meta(name: string, overrides: Partial<SecretMetadata> = {}): SecretMetadata {
  return { name, enabled: true, createdOn: daysFromNow(-30), updatedOn: daysFromNow(-30), tags: {}, ...overrides };
}

function vault(certificate: SecretMetadata | undefined, extra: SecretMetadata[] = []): Map<string, SecretMetadata> {
  const all = [
    meta(NAMES.clientId),
    meta(NAMES.tenantId),
    meta(NAMES.refreshToken, { expiresOn: daysFromNow(80), updatedOn: daysFromNow(-10) }),
    ...(certificate ? [certificate] : []),
    ...extra,
  ];
  return new Map(all.map((m) => [m.name, m]));
}

const certificate = (expiresInDays: number) => meta(NAMES.clientCertificate, { expiresOn: daysFromNow(expiresInDays), contentType: "application/x-pem-file", tags: { thumbprintSha256: THUMBPRINT } });

describe("status with a certificate stack", () => {
  it("reports the certificate's state, expiry and SHA-256 thumbprint, and no client secret", () => {
    const report = judgeStatus(VAULT, NAMES, vault(certificate(170)), 14, NOW);
    expect(report.healthy).toBe(true);
    expect(report.clientCertificate).toEqual({
      name: NAMES.clientCertificate,
      present: true,
      state: "ok",
      expiresOn: daysFromNow(170).toISOString(),
      daysToExpiry: 170,
      thumbprintSha256: THUMBPRINT,
    });
    expect(report).not.toHaveProperty("clientSecret");
    const lines = humanReport(report);
    expect(lines).toContain(`Certificate: ok, expires ${daysFromNow(170).toISOString()} (170 days)`);
    expect(lines).toContain(`  SHA-256 thumbprint ${THUMBPRINT}`);
    expect(lines.some((line) => line.startsWith("Client secret"))).toBe(false);
  });

  it("asks for `pulumi up` when the certificate expires within the warning window or is missing", () => {
    const expiring = judgeStatus(VAULT, NAMES, vault(certificate(3)), 14, NOW);
    expect(expiring.healthy).toBe(false);
    expect(expiring.actions).toEqual([
      { secret: NAMES.clientCertificate, problem: `expires in 3 day(s), on ${daysFromNow(3).toISOString()}`, fix: "pulumi up (rotate now with `pulumi up --replace` on the certificate's private key)" },
    ]);
    const missing = judgeStatus(VAULT, NAMES, vault(undefined), 14, NOW);
    expect(missing.clientCertificate).toMatchObject({ state: "missing", thumbprintSha256: null });
    expect(missing.actions.map((a) => [a.secret, a.fix])).toEqual([[NAMES.clientCertificate, expect.stringMatching(/^pulumi up/)]]);
  });

  it("with both names (--vault-uri), judges the credential the vault has and ignores the one it lacks", () => {
    const both = { ...NAMES, clientSecret: DEFAULT_SECRET_NAMES.clientSecret };
    const report = judgeStatus(VAULT, both, vault(certificate(170)), 14, NOW);
    expect(report.healthy).toBe(true);
    expect(report.clientCertificate?.state).toBe("ok");
    expect(report).not.toHaveProperty("clientSecret");
    const neither = judgeStatus(VAULT, both, vault(undefined), 14, NOW);
    expect(neither.healthy).toBe(false);
    expect(neither.actions.map((a) => a.secret).sort()).toEqual([DEFAULT_SECRET_NAMES.clientCertificate, DEFAULT_SECRET_NAMES.clientSecret].sort());
  });
});

describe("stack outputs of a certificate stack", () => {
  const { clientSecret: _secret, ...common } = validStackOutputs().secretNames as Record<string, string>;
  void _secret;

  it("are valid with secretNames.clientCertificate and no clientSecret", () => {
    const parsed = parseStackOutputs({ ...validStackOutputs(), secretNames: { ...common, clientCertificate: "pc-client-certificate" } });
    expect(parsed.secretNames).toEqual({ ...common, clientCertificate: "pc-client-certificate" });
  });

  it("must name an app credential, the certificate or the client secret", () => {
    expect(() => parseStackOutputs({ ...validStackOutputs(), secretNames: common })).toThrow(/secretNames\.clientCertificate \(or secretNames\.clientSecret\) is missing/);
    expect(() => parseStackOutputs({ ...validStackOutputs(), secretNames: { ...common, clientCertificate: common.refreshToken } })).toThrow(
      /secretNames\.clientCertificate and secretNames\.refreshToken are both/,
    );
  });
});
