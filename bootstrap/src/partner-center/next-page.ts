/** Following a collection's next page, the way Partner Center and Microsoft Graph link it (used by ApiClient.call). */

/**
 * The next page of a collection: Partner Center's `links.next` (`uri` relative to
 * the API version, with its `MS-ContinuationToken` in `headers`) or Graph's
 * absolute `@odata.nextLink`. Undefined on the last page.
 */
export function nextPage(body: unknown, current: URL): { url: string; headers: Record<string, string> } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const o = body as Record<string, unknown>;
  const odata = o["@odata.nextLink"];
  if (typeof odata === "string" && odata !== "") return { url: new URL(odata, current).toString(), headers: {} };
  const links = o.links as { next?: { uri?: unknown; headers?: unknown } } | undefined;
  const next = links?.next;
  if (typeof next?.uri !== "string" || next.uri === "") return undefined;
  const headers: Record<string, string> = {};
  if (Array.isArray(next.headers)) {
    for (const h of next.headers as Array<{ key?: unknown; value?: unknown }>) {
      if (typeof h?.key === "string" && typeof h.value === "string" && !/^authorization$/i.test(h.key)) headers[h.key] = h.value;
    }
  }
  // Partner Center's link URIs leave out the version segment (/customers?…), which the request had (/v1/customers).
  const version = /^\/v\d+(?=\/)/.exec(current.pathname)?.[0] ?? "";
  const uri = next.uri;
  const path = uri.startsWith("/") && version && !uri.startsWith(`${version}/`) ? `${version}${uri}` : uri;
  return { url: new URL(path, current).toString(), headers };
}
