/**
 * The default app credential: a certificate made by the tls provider, registered
 * on the app as a key credential and stored in the vault, rotated new-before-old;
 * and the switch of an existing client-secret stack to it.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/config";
import { StackOutputs, definePartnerCenterSam } from "../../infra/program";
import { PulumiStandIn, RecordedResource, StackRun, TYPES, ofType, runStack, sentAsSecret, single } from "./pulumi-mocks";

const LOCATION = { "azure-native:location": "westeurope" };
const P = "partner-center-sam";

function deploy(config: Record<string, string> = {}) {
  return runStack({ ...LOCATION, ...config }, () => definePartnerCenterSam(readStackConfig()));
}

/** The resources one run declared of the credential's kinds, by type. */
function credentialTypes(resources: readonly RecordedResource[]): string[] {
  const kinds: string[] = [TYPES.password, TYPES.privateKey, TYPES.selfSignedCert, TYPES.certificate];
  return resources.filter((r) => kinds.includes(r.type)).map((r) => r.type).sort();
}

describe("a default stack (appCredential certificate)", () => {
  let run: StackRun<StackOutputs> & { standIn: PulumiStandIn };
  let resources: RecordedResource[];

  beforeAll(async () => {
    run = await deploy();
    resources = run.resources;
  });

  it("gives the app a key credential and no password credential", () => {
    expect(credentialTypes(resources)).toEqual([TYPES.certificate, TYPES.privateKey, TYPES.selfSignedCert].sort());
    const app = single(resources, TYPES.application, "app");
    const credential = single(resources, TYPES.certificate, "client-certificate");
    expect(credential.inputs["applicationId"]).toBe(app.id);
    expect(credential.inputs["type"]).toBe("AsymmetricX509Cert");
    expect(credential.inputs["encoding"]).toBe("pem");
    expect(credential.inputs["value"]).toBe(single(resources, TYPES.selfSignedCert, "client-certificate").state["certPem"]);
  });

  it("makes an RSA key of at least 2048 bits and a certificate valid for rotation plus grace, renewing itself at the grace period", () => {
    const key = single(resources, TYPES.privateKey, "client-certificate-key");
    expect(key.inputs["algorithm"]).toBe("RSA");
    expect(key.inputs["rsaBits"]).toBeGreaterThanOrEqual(2048);
    const cert = single(resources, TYPES.selfSignedCert, "client-certificate");
    expect(cert.inputs["validityPeriodHours"]).toBe((150 + 30) * 24);
    expect(cert.inputs["earlyRenewalHours"]).toBe(30 * 24);
    expect(cert.inputs["allowedUses"]).toEqual(["digital_signature"]);
    expect(cert.inputs["privateKeyPem"]).toBe(key.state["privateKeyPem"]);
    const x509 = new X509Certificate(cert.state["certPem"]);
    expect(x509.publicKey.export({ format: "jwk" })).toEqual(createPublicKey(key.state["privateKeyPemPkcs8"]).export({ format: "jwk" }));
  });

  it("registers the key credential with the certificate's own start and end dates", () => {
    const cert = single(resources, TYPES.selfSignedCert, "client-certificate");
    const credential = single(resources, TYPES.certificate, "client-certificate");
    expect([credential.inputs["startDate"], credential.inputs["endDate"]]).toEqual([cert.state["validityStartTime"], cert.state["validityEndTime"]]);
    expect(credential.inputs["endDate"]).toBe("2025-08-28T12:00:00Z");
  });

  it("has the engine keep the private key secret", () => {
    const key = single(resources, TYPES.privateKey, "client-certificate-key");
    expect(key.additionalSecretOutputs).toEqual(expect.arrayContaining(["privateKeyPem", "privateKeyPemPkcs8"]));
  });

  it("stores key and certificate in the vault as application/x-pem-file, expiring with the certificate, kept on delete", () => {
    const secret = single(resources, TYPES.secret, "clientCertificate");
    const cert = single(resources, TYPES.selfSignedCert, "client-certificate");
    const key = single(resources, TYPES.privateKey, "client-certificate-key");
    expect(secret.inputs["secretName"]).toBe("partnercenter-client-certificate");
    expect(secret.inputs["properties"]["contentType"]).toBe("application/x-pem-file");
    expect(secret.inputs["properties"]["attributes"]).toEqual({ enabled: true, expires: Date.parse(cert.state["validityEndTime"]) / 1000 });
    expect(sentAsSecret(secret, "properties.value")).toBe(true);
    expect(secret.retainOnDelete).toBe(true);
    const pem: string = secret.inputs["properties"]["value"];
    expect(pem).toBe(`${key.state["privateKeyPemPkcs8"]}${cert.state["certPem"]}`);
    expect(pem.indexOf("-----BEGIN PRIVATE KEY-----")).toBe(0);
    // What the commands do with it: the key and the certificate that follows it belong together.
    const x509 = new X509Certificate(pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----")));
    expect(x509.checkPrivateKey(createPrivateKey(pem))).toBe(true);
    expect(secret.inputs["tags"]["thumbprintSha256"]).toBe(x509.fingerprint256.replace(/:/g, "").toLowerCase());
  });

  it("stores the certificate only after Entra ID has the key credential, and after every vault role assignment", () => {
    const secret = single(resources, TYPES.secret, "clientCertificate");
    const credential = single(resources, TYPES.certificate, "client-certificate");
    expect(secret.dependsOn).toContain(credential.urn);
    for (const assignment of ofType(resources, TYPES.roleAssignment)) expect(secret.dependsOn).toContain(assignment.urn);
  });

  it("rotates with the rotation timer, creating the new key, certificate and key credential before deleting the old", () => {
    const rotation = single(resources, TYPES.rotating, "client-secret-rotation");
    expect(rotation.inputs).toEqual({ rotationDays: 150, triggers: { rotationDays: "150", graceDays: "30" } });
    for (const [type, name] of [
      [TYPES.privateKey, "client-certificate-key"],
      [TYPES.selfSignedCert, "client-certificate"],
    ] as const) {
      const resource = single(resources, type, name);
      expect([name, resource.replacementTrigger]).toEqual([name, rotation.id]);
      expect([name, resource.deleteBeforeReplaceDefined, resource.deleteBeforeReplace]).toEqual([name, true, false]);
    }
    const credential = single(resources, TYPES.certificate, "client-certificate");
    expect([credential.deleteBeforeReplaceDefined, credential.deleteBeforeReplace]).toEqual([true, false]);
  });

  it("names the certificate secret in secretNames, and no client secret", () => {
    expect(run.outputs["secretNames"]).toEqual({
      clientId: "partnercenter-client-id",
      clientCertificate: "partnercenter-client-certificate",
      tenantId: "partnercenter-tenant-id",
      refreshToken: "partnercenter-refresh-token",
    });
    expect(ofType(resources, TYPES.secret).map((s) => s.inputs["secretName"])).not.toContain("partnercenter-client-secret");
    expect(run.outputs["clientSecretExpiresAt"]).toBeUndefined();
  });

  it("exports the certificate's end date and thumbprint, and no secret", async () => {
    const secret = single(resources, TYPES.secret, "clientCertificate");
    expect(run.outputs["clientCertificateExpiresAt"]).toBe("2025-08-28T12:00:00Z");
    expect(run.outputs["clientCertificateThumbprint"]).toBe(secret.inputs["tags"]["thumbprintSha256"]);
    expect(run.secretOutputs).toEqual([]);
    for (const [name, value] of Object.entries(run.returned)) {
      if (pulumi.Output.isInstance(value)) expect([name, await pulumi.isSecret(value)]).toEqual([name, false]);
    }
  });
});

describe("appCredential secret", () => {
  it("declares the client secret as before, and nothing of the certificate", async () => {
    const { resources, outputs } = await deploy({ [`${P}:appCredential`]: "secret" });
    expect(credentialTypes(resources)).toEqual([TYPES.password]);
    expect(ofType(resources, TYPES.secret).map((s) => s.name).sort()).toEqual(["clientId", "clientSecret", "tenantId"]);
    expect(outputs["secretNames"]["clientCertificate"]).toBeUndefined();
    expect(outputs["secretNames"]["clientSecret"]).toBe("partnercenter-client-secret");
  });
});

describe("switching an existing stack from secret to certificate", () => {
  let before: RecordedResource[];
  let after: RecordedResource[];

  beforeAll(async () => {
    before = (await deploy({ [`${P}:appCredential`]: "secret" })).resources;
    after = (await deploy()).resources;
  });

  it("adds the certificate and its vault secret, and only the password and its vault secret leave the program", () => {
    const urns = (rs: RecordedResource[]) => new Set(rs.map((r) => r.urn));
    const [was, is] = [urns(before), urns(after)];
    expect(before.filter((r) => !is.has(r.urn)).map((r) => `${r.type}::${r.name}`).sort()).toEqual(
      [`${TYPES.password}::client-secret`, `${TYPES.secret}::clientSecret`].sort(),
    );
    expect(after.filter((r) => !was.has(r.urn)).map((r) => `${r.type}::${r.name}`).sort()).toEqual(
      [
        `${TYPES.privateKey}::client-certificate-key`,
        `${TYPES.selfSignedCert}::client-certificate`,
        `${TYPES.certificate}::client-certificate`,
        `${TYPES.secret}::clientCertificate`,
      ].sort(),
    );
  });

  it("keeps the rotation timer, so the switch starts no new schedule", () => {
    const timer = (rs: RecordedResource[]) => single(rs, TYPES.rotating, "client-secret-rotation");
    expect([timer(after).urn, timer(after).inputs]).toEqual([timer(before).urn, timer(before).inputs]);
  });

  it("keeps the password valid until the certificate is registered and stored: nothing new depends on it, so the engine deletes it last", () => {
    // The engine deletes resources that left the program after every registration of the update
    // (and the old vault secret is retainOnDelete: it stays, unused, until the vault goes).
    const removed = before.filter((r) => !after.some((a) => a.urn === r.urn));
    for (const resource of after) {
      for (const gone of removed) expect([resource.name, resource.dependsOn]).not.toEqual([resource.name, expect.arrayContaining([gone.urn])]);
    }
    expect(single(before, TYPES.secret, "clientSecret").retainOnDelete).toBe(true);
    const stored = single(after, TYPES.secret, "clientCertificate");
    expect(stored.dependsOn).toContain(single(after, TYPES.certificate, "client-certificate").urn);
  });
});
