/**
 * The fleet settings: `gdapRoles` (Entra built-in role names or template ids,
 * checked by name), `customerInclude` / `customerExclude` (tenant ids) — read
 * from the stack configuration and exported for the `customers` command.
 */
import { describe, expect, it } from "vitest";
import { problemsOf } from "./config-problems";
import { parseStackConfig, readStackConfig } from "../../infra/config";
import { definePartnerCenterSam } from "../../infra/program";
import { runStack } from "./pulumi-mocks";

const P = "partner-center-sam";
const LOCATION = { "azure-native:location": "westeurope" };
const TENANT = "11111111-2222-4333-8444-555555555555";

describe("the fleet settings", () => {
  it("default to every customer and no required roles", () => {
    const config = parseStackConfig(LOCATION, P, "dev");
    expect([config.customerInclude, config.customerExclude, config.gdapRoles]).toEqual([[], [], []]);
  });

  it("turn role names into template ids (any case), keep template ids, and lower-case tenant ids", () => {
    const config = parseStackConfig(
      { ...LOCATION, [`${P}:gdapRoles`]: '["User Administrator","security reader","62E90394-69F5-4237-9190-012177145E10"]', [`${P}:customerExclude`]: `["${TENANT.toUpperCase()}"]` },
      P,
      "dev",
    );
    expect(config.gdapRoles).toEqual(["fe930be7-5e62-47db-91af-98c3a49a38b1", "5d6b6bb7-de71-4623-b4af-96380a352509", "62e90394-69f5-4237-9190-012177145e10"]);
    expect(config.customerExclude).toEqual([TENANT]);
  });

  it("refuse an unknown role name (suggesting the nearest) and a tenant that is not a GUID, naming items by position", () => {
    expect(problemsOf({ ...LOCATION, [`${P}:gdapRoles`]: '["User Admin"]', [`${P}:customerInclude`]: '["contoso.com"]' })).toEqual([
      { key: `${P}:customerInclude`, rule: "must be a list of customer tenant ids (GUIDs); item 0 is not a GUID", example: '["00000000-0000-0000-0000-000000000000"]' },
      {
        key: `${P}:gdapRoles`,
        rule: 'must be a list of Entra built-in role names or role template ids; item 0 is not an Entra built-in role name (did you mean "User Administrator"?); pass the role template id for a role not listed',
        example: '["User Administrator","Security Reader"]',
      },
    ]);
  });

  it("are exported for the customers command", async () => {
    const { outputs } = await runStack({ ...LOCATION, [`${P}:gdapRoles`]: '["Global Reader"]', [`${P}:customerInclude`]: `["${TENANT}"]` }, () => definePartnerCenterSam(readStackConfig()));
    expect(outputs["gdapRoles"]).toEqual(["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]);
    expect(outputs["customerInclude"]).toEqual([TENANT]);
    expect(outputs["customerExclude"]).toEqual([]);
  });
});
