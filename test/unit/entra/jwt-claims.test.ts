import { describe, expect, it } from "vitest";
import { ExitCode, ServiceError } from "../../../bootstrap/src/core/errors";
import { hasMfaClaim, readAccessTokenClaims, readJwtClaims, signedInUser } from "../../../bootstrap/src/entra/jwt-claims";

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: unknown) => `${segment({ alg: "RS256", typ: "JWT" })}.${segment(claims)}.c2lnbmF0dXJl`;

describe("readJwtClaims", () => {
  it("decodes the payload of a JWT, including base64url characters", () => {
    const claims = { upn: "admin@contoso.example", amr: ["pwd", "mfa"], exp: 1_800_000_000, name: "Ådmin ~?>" };
    expect(readJwtClaims(jwt(claims))).toEqual(claims);
  });

  it.each([
    ["an opaque token", "0.AXEAopaque-refresh-token-without-dots"],
    ["two segments", "eyJhbGciOiJub25lIn0.eyJ1cG4iOiJ4In0"],
    ["a payload that is not JSON", `${segment({ alg: "none" })}.bm90IGpzb24.sig`],
    ["a payload that is JSON but not an object", jwt("just a string")],
    ["a null payload", jwt(null)],
  ])("returns undefined for %s", (_case, token) => {
    expect(readJwtClaims(token)).toBeUndefined();
  });
});

describe("readAccessTokenClaims", () => {
  it("returns the claims of a readable JWT", () => {
    expect(readAccessTokenClaims(jwt({ amr: ["pwd", "mfa"], tid: "t" }))).toEqual({ amr: ["pwd", "mfa"], tid: "t" });
  });

  it.each([
    ["an opaque token", "EwBwA8l6BAAUopaque"],
    ["a payload that is not JSON", `${segment({ alg: "none" })}.bm90IGpzb24.sig`],
    ["a JSON payload that is not an object", jwt(42)],
  ])("reports %s as unreadable (exit 1), not as a token without MFA, and never quotes it", (_case, token) => {
    let thrown: unknown;
    try {
      readAccessTokenClaims(token);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ServiceError);
    const error = thrown as ServiceError;
    expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code: "access_token_unreadable", exitCode: ExitCode.Failure });
    expect(error.message).toContain("not a readable JWT");
    expect(error.message).not.toMatch(/multi-factor|no MFA/i);
    expect(error.hint).toContain("partner-center-sam bootstrap");
    expect(`${error.message} ${error.hint}`).not.toContain(token);
  });
});

describe("hasMfaClaim", () => {
  it.each([["mfa"], ["ngcmfa"], ["wiaormfa"]])("is true when an amr value is or contains mfa (%s), as Partner Center's own check accepts", (value) => {
    expect(hasMfaClaim({ amr: ["pwd", value] })).toBe(true);
    expect(hasMfaClaim({ amr: [value] })).toBe(true);
  });

  it("is false when no amr value contains mfa, amr is not an array of strings, or there are no claims", () => {
    expect(hasMfaClaim({ amr: ["pwd"] })).toBe(false);
    expect(hasMfaClaim({ amr: ["pwd", "rsa", "otp", "fido"] })).toBe(false);
    expect(hasMfaClaim({ amr: [] })).toBe(false);
    expect(hasMfaClaim({ amr: "mfa" as unknown as string[] })).toBe(false);
    expect(hasMfaClaim({ amr: [{ mfa: true }, 1] as unknown as string[] })).toBe(false);
    expect(hasMfaClaim({})).toBe(false);
    expect(hasMfaClaim(undefined)).toBe(false);
  });
});

describe("signedInUser", () => {
  const all = { upn: "upn@contoso.example", preferred_username: "preferred@contoso.example", unique_name: "unique@contoso.example", name: "Display Name" };

  it("prefers upn, then preferred_username, then unique_name", () => {
    expect(signedInUser(all)).toBe("upn@contoso.example");
    expect(signedInUser({ ...all, upn: undefined })).toBe("preferred@contoso.example");
    expect(signedInUser({ ...all, upn: undefined, preferred_username: undefined })).toBe("unique@contoso.example");
  });

  it("does not fall back to the display name", () => {
    expect(signedInUser({ name: "Display Name" })).toBeUndefined();
    expect(signedInUser(undefined)).toBeUndefined();
  });
});
