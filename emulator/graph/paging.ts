/**
 * Graph's server-driven paging (learn.microsoft.com/graph/paging): a page holds at most `$top` items (or the
 * API's default page size), and `@odata.nextLink` — an absolute URL with an opaque `$skiptoken` — names the next
 * page until the last one, which has none. A `$top` outside the API's range is a 400.
 */
import { randomUUID } from "node:crypto";
import { GraphError } from "./errors";

/** Page sizes of one API: the default, and the largest `$top` it accepts. */
export interface PageSizes {
  defaultSize: number;
  maxTop: number;
}

/** The query parameter named `name`, matching Graph's case-insensitive `$top` / `$skipToken` spellings. */
export function queryParam(url: URL, name: string): string | null {
  for (const [k, v] of url.searchParams) if (k.toLowerCase() === name.toLowerCase()) return v;
  return null;
}

/** Skip tokens handed out, each bound to the collection it pages. */
export class SkipTokens {
  private readonly tokens = new Map<string, { collection: string; offset: number; top: number }>();

  /** One page of `items` for the request `url` (path + query), with `@odata.context` and, unless last, `@odata.nextLink`. */
  page<T>(items: T[], url: URL, baseUrl: string, collection: string, sizes: PageSizes, context: string): Record<string, unknown> {
    const topParam = queryParam(url, "$top");
    let top = sizes.defaultSize;
    if (topParam !== null) {
      top = Number(topParam);
      if (!/^\d+$/.test(topParam) || top < 1 || top > sizes.maxTop) {
        // Graph (directory APIs): "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
        throw new GraphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${topParam}'. Must be between 1 and ${sizes.maxTop} inclusive.`);
      }
    }
    let offset = 0;
    const skipToken = queryParam(url, "$skiptoken");
    if (skipToken !== null) {
      const known = this.tokens.get(skipToken);
      if (!known || known.collection !== collection) throw new GraphError(400, "Request_BadRequest", "The specified page token value has expired and can no longer be included in your request.");
      offset = known.offset;
      top = known.top;
    }
    const body: Record<string, unknown> = { "@odata.context": context, value: items.slice(offset, offset + top) };
    if (offset + top < items.length) {
      const token = randomUUID().replace(/-/g, "");
      this.tokens.set(token, { collection, offset: offset + top, top });
      const next = new URL(url.pathname, baseUrl);
      for (const [k, v] of url.searchParams) if (!/^\$(skiptoken|top)$/i.test(k)) next.searchParams.set(k, v);
      next.searchParams.set("$top", String(top));
      next.searchParams.set("$skiptoken", token);
      body["@odata.nextLink"] = next.toString();
    }
    return body;
  }
}
