/** Small validators shared by the stack-output and command-line checks. */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

/** True for a GUID such as a tenant, client or object id. */
export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

/** True for a valid Key Vault secret name. */
export function isSecretName(value: unknown): value is string {
  return typeof value === "string" && SECRET_NAME.test(value);
}

/** True for an absolute https URL. */
export function isHttpsUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** True for a redirect URI Entra ID accepts for this app: `http://localhost[:port]/…` or `https://…`. */
export function isRedirectUri(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && url.hostname === "localhost");
  } catch {
    return false;
  }
}

/** Removes trailing slashes so URLs can be joined with `/path`. */
export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Renders a value for an error message, shortened so a message stays readable. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
