/**
 * RS256 JSON Web Tokens for the Entra stand-in: a signing key made at start,
 * signing, decoding and signature checks. node:crypto only.
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

/** JWT claims; values are whatever JSON allows. */
export type Claims = Record<string, unknown>;

/** A signing key and its public JWK (as published at `discovery/keys`). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: { kty: "RSA"; use: "sig"; kid: string; x5t: string; n: string; e: string };
}

/** Generates an RSA-2048 signing key. */
export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const exported = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  const kid = createHash("sha1").update(exported.n).digest("base64url");
  return { kid, privateKey, publicKey, jwk: { kty: "RSA", use: "sig", kid, x5t: kid, n: exported.n, e: exported.e } };
}

function encode(part: unknown): string {
  return Buffer.from(JSON.stringify(part)).toString("base64url");
}

/** Signs `claims` with RS256, header `{ typ, alg, kid, x5t }` as Entra writes it. */
export function signJwt(claims: Claims, key: SigningKey): string {
  const input = `${encode({ typ: "JWT", alg: "RS256", x5t: key.kid, kid: key.kid })}.${encode(claims)}`;
  const signature = sign("sha256", Buffer.from(input), key.privateKey).toString("base64url");
  return `${input}.${signature}`;
}

/** Decodes a JWT without checking it; throws on a malformed token. */
export function decodeJwt(token: string): { header: Claims; payload: Claims } {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("malformed JWT: expected three segments");
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8")) as Claims,
      payload: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Claims,
    };
  } catch (err) {
    throw new Error("malformed JWT: segments are not base64url JSON", { cause: err });
  }
}

/** Checks the RS256 signature against `key` and returns the payload; throws when it does not verify. */
export function verifyJwtSignature(token: string, key: SigningKey): Claims {
  const { header, payload } = decodeJwt(token);
  if (header.alg !== "RS256") throw new Error(`unsupported JWT alg ${String(header.alg)}`);
  const [h, p, s] = token.split(".");
  if (!verify("sha256", Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(s, "base64url"))) {
    throw new Error("JWT signature does not verify");
  }
  return payload;
}
