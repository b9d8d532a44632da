/**
 * Helpers for the Microsoft Graph emulator tests: tokens redeemed the way the product does (the partner's refresh
 * token at a tenant's token endpoint), and Graph GETs that return status, headers and JSON.
 */
import { startEmulator, type Emulator, type StartEmulatorOptions } from "../../emulator";

const started: Emulator[] = [];

/** Starts an emulator closed by {@link closeAll}. */
export async function start(options: StartEmulatorOptions = {}): Promise<Emulator> {
  // These tests redeem at the token endpoint by hand, with the client secret (the product signs an assertion with the certificate).
  const emu = await startEmulator({ appCredential: "secret", ...options });
  started.push(emu);
  return emu;
}

export async function closeAll(): Promise<void> {
  for (const emu of started.splice(0)) await emu.close();
}

/** The OAuth answer of redeeming the first user's refresh token in `tenant` (default the partner's) for `scope`. */
export async function redeem(emu: Emulator, scope: string, tenant = emu.tenantId): Promise<{ status: number; body: Record<string, unknown> }> {
  const refreshToken = emu.entra.issueRefreshToken({ tenantId: emu.tenantId, clientId: emu.clientId, username: emu.users[0].username, scopes: [emu.outputs.scopes[0], "offline_access"] });
  const response = await fetch(`${emu.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: emu.clientId, client_secret: emu.clientSecret ?? "", refresh_token: refreshToken, scope: `${scope} offline_access` }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An access token for Microsoft Graph (`.default` on the emulator's Graph origin, as the `graph` alias asks) in `tenant`. */
export async function graphToken(emu: Emulator, tenant = emu.tenantId): Promise<string> {
  const answer = await redeem(emu, `${emu.graphEndpoint}/.default`, tenant);
  if (answer.status !== 200) throw new Error(`no Graph token in ${tenant}: ${String(answer.body.error_description)}`);
  return answer.body.access_token as string;
}

export interface GraphAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** GET `pathOrUrl` (a path under the Graph endpoint, or a nextLink) with `token`. */
export async function graphGet(emu: Emulator, pathOrUrl: string, token?: string, headers: Record<string, string> = {}): Promise<GraphAnswer> {
  const url = pathOrUrl.startsWith("https://") ? pathOrUrl : `${emu.graphEndpoint}${pathOrUrl}`;
  const response = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** Every item of a paged Graph collection, following `@odata.nextLink` until it is absent; also the page count. */
export async function allPages(emu: Emulator, path: string, token: string): Promise<{ items: Array<Record<string, unknown>>; pages: number }> {
  const items: Array<Record<string, unknown>> = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next) {
    const page = await graphGet(emu, next, token);
    if (page.status !== 200) throw new Error(`page ${pages + 1} of ${path}: ${page.status} ${JSON.stringify(page.body)}`);
    items.push(...(page.body.value as Array<Record<string, unknown>>));
    next = page.body["@odata.nextLink"] as string | undefined;
    pages++;
    if (pages > 100) throw new Error("page loop");
  }
  return { items, pages };
}
