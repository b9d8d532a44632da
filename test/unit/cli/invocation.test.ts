import { describe, expect, it } from "vitest";
import { detectInvocation, namedForInvocation, swallowedFlags } from "../../../bootstrap/src/cli/invocation";
import { bootstrapCommand } from "../../../bootstrap/src/cli/bootstrap";
import { statusCommand } from "../../../bootstrap/src/cli/status";

const NPM = { npmScript: true };
const BIN = { npmScript: false };

describe("detectInvocation", () => {
  it("is an npm script only when npm runs the script named like the command", () => {
    expect(detectInvocation("status", { npm_lifecycle_event: "status", npm_command: "run" })).toEqual(NPM);
    expect(detectInvocation("status", { npm_lifecycle_event: "status", npm_command: "run-script" })).toEqual(NPM);
    expect(detectInvocation("status", { npm_lifecycle_event: "npx", npm_command: "exec" })).toEqual(BIN);
    expect(detectInvocation("status", { npm_lifecycle_event: "test", npm_command: "run" })).toEqual(BIN);
    expect(detectInvocation("status", {})).toEqual(BIN);
  });
});

describe("namedForInvocation", () => {
  const hint = "Run `partner-center-sam bootstrap` again, or `partner-center-sam consent --customer contoso.com`; fix: partner-center-sam refresh.";

  it("leaves the bin's form alone", () => {
    expect(namedForInvocation(hint, BIN)).toBe(hint);
  });

  it("names npm scripts, with -- before the command's own flags", () => {
    expect(namedForInvocation(hint, NPM)).toBe("Run `npm run bootstrap` again, or `npm run consent -- --customer contoso.com`; fix: npm run refresh.");
    expect(namedForInvocation('{ "fix": "partner-center-sam bootstrap" }', NPM)).toBe('{ "fix": "npm run bootstrap" }');
  });

  it("never turns a bare command with flags into the classic `npm run x --flag` mistake", () => {
    expect(namedForInvocation("run partner-center-sam bootstrap --replace", NPM)).toBe("run partner-center-sam bootstrap --replace");
  });
});

describe("swallowedFlags", () => {
  it("finds a flag npm took (its value arriving as a stray argument) and rebuilds the command line with --", () => {
    expect(swallowedFlags(statusCommand(), ["/tmp/my outputs.json"], { npm_config_outputs: "true", npm_config_json: "true" })).toEqual({
      flags: ["--outputs", "--json"],
      corrected: "npm run status -- --outputs '/tmp/my outputs.json' --json",
    });
  });

  it("finds a negated flag (npm sets an empty value) and keeps the flags that did arrive", () => {
    expect(swallowedFlags(bootstrapCommand(), ["--json"], { npm_config_browser: "" })).toEqual({ flags: ["--no-browser"], corrected: "npm run bootstrap -- --no-browser --json" });
  });

  it("finds nothing when every flag arrived", () => {
    expect(swallowedFlags(statusCommand(), ["--outputs", "x.json"], { npm_config_outputs: "true" })).toBeUndefined();
    expect(swallowedFlags(statusCommand(), ["--outputs=x.json"], { npm_config_outputs: "true" })).toBeUndefined();
    expect(swallowedFlags(statusCommand(), [], {})).toBeUndefined();
  });
});
