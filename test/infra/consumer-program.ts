/**
 * A "consumer program": how another team's Pulumi program adds this project's
 * stack to its own, next to resources of its own. Imports only the component
 * module that the package exports as `partner-center-sam/infra`.
 */
import * as random from "@pulumi/random";
import { PartnerCenterSam } from "../../infra/partner-center-sam";

/**
 * The program body; the test runs it as the root of a stack. package-export.test.ts compiles
 * this file as another project would, importing `partner-center-sam/infra` instead.
 */
export function consumerProgram() {
  // Something the platform team's program already has.
  const existing = new random.RandomString("platform-marker", { length: 4, special: false });

  const sam = new PartnerCenterSam("partner-center-sam", {
    location: "westeurope",
    keyVaultName: "kv-platform-sam",
    administrators: ["11111111-2222-4333-8444-555555555555"],
    clientSecretRotationDays: 90,
  });

  return { marker: existing.result, keyVaultUri: sam.keyVaultUri, clientId: sam.clientId, bootstrap: sam.outputs };
}
