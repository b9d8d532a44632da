import { describe, expect, it } from "vitest";
import { hasMfaClaim, readJwtClaims, signedInUser } from "../../bootstrap/src/jwt-claims";

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

describe("hasMfaClaim", () => {
  it("is true when amr contains mfa", () => {
    expect(hasMfaClaim({ amr: ["pwd", "mfa"] })).toBe(true);
  });

  it("is false when amr lacks mfa, is not an array, or there are no claims", () => {
    expect(hasMfaClaim({ amr: ["pwd"] })).toBe(false);
    expect(hasMfaClaim({ amr: "mfa" as unknown as string[] })).toBe(false);
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
