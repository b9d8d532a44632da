/**
 * What `partner-center-sam emulator` (`npm run emulator`) does: starts the
 * emulator, saves the stack outputs, prints the endpoints and the environment
 * another shell needs, and serves until it is told to stop.
 */
import { startEmulator, type Emulator } from "./emulator";
import { defaultEstate, generatedEstate } from "./estate";

/** Options of {@link serveEmulator}. */
export interface ServeEmulatorOptions {
  /** First of four consecutive ports (Entra ID, Key Vault, Partner Center, Microsoft Graph); default free ports. */
  port?: number;
  /** Same ids and credentials on every start. */
  seed?: string;
  /**
   * That many healthy customer tenants (the app consented, an active GDAP relationship with auto-extend, the user
   * in its group). Default: the default estate, one customer in each interesting state ({@link defaultEstate}).
   */
  customers?: number;
  /** Where to save the stack outputs (default a file in the emulator's temp folder, removed at stop). */
  outputsFile?: string;
  /** Print one JSON document instead of text. */
  json?: boolean;
  /** Where the text goes (default stdout). */
  write?: (text: string) => void;
  /** Serve until this aborts (Ctrl-C in the command). */
  signal: AbortSignal;
}

/** What the emulator prints at start, as `--json` prints it. */
export interface EmulatorAnnouncement extends Pick<Emulator, "authorityHost" | "keyVaultUri" | "partnerCenterEndpoint" | "graphEndpoint" | "tenantId" | "clientId"> {
  outputsFile: string;
  caCertificateFile: string;
  env: Record<string, string>;
  users: Array<{ username: string; password: string; mfaCode: string }>;
  customers: Array<{ tenantId: string; domain: string; displayName: string }>;
}

/** The announcement for a running emulator. */
export function announcement(emu: Emulator, outputsFile: string): EmulatorAnnouncement {
  return {
    authorityHost: emu.authorityHost,
    keyVaultUri: emu.keyVaultUri,
    partnerCenterEndpoint: emu.partnerCenterEndpoint,
    graphEndpoint: emu.graphEndpoint,
    tenantId: emu.tenantId,
    clientId: emu.clientId,
    outputsFile,
    caCertificateFile: emu.caCertificateFile,
    env: emu.env,
    users: emu.users.map((u) => ({ username: u.username, password: u.password, mfaCode: u.mfaCode })),
    customers: emu.customers,
  };
}

/** Quotes a value for a POSIX shell. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes a value for PowerShell (a single-quoted string: nothing expands, `'` doubles). */
function powerShellQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The POSIX shell lines (bash, zsh) that set the emulator's environment. */
export function posixEnvLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) =>
    // Added to any NODE_OPTIONS already set, not in place of them.
    k === "NODE_OPTIONS" ? `export NODE_OPTIONS="${v.replace(/["\\$`]/g, "\\$&")}\${NODE_OPTIONS:+ $NODE_OPTIONS}"` : `export ${k}=${shellQuote(v)}`,
  );
}

/**
 * The PowerShell lines (Windows PowerShell 5.1 and PowerShell 7, any system) that
 * set the same environment: `$env:NAME = '…'` sets a process environment variable
 * (about_Environment_Variables), inherited by the commands the shell starts.
 */
export function powerShellEnvLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) =>
    // Added to any NODE_OPTIONS already set, not in place of them.
    k === "NODE_OPTIONS" ? `$env:NODE_OPTIONS = (${powerShellQuote(`${v} `)} + $env:NODE_OPTIONS).Trim()` : `$env:${k} = ${powerShellQuote(v)}`,
  );
}

/** The text `partner-center-sam emulator` prints. */
export function announcementText(a: EmulatorAnnouncement): string {
  const user = a.users[0];
  return [
    "Partner Center SAM emulator: Entra ID, Key Vault, Partner Center and Microsoft Graph on this machine (not Microsoft's services).",
    "",
    `  Entra ID (authority host)  ${a.authorityHost}`,
    `  Key Vault                  ${a.keyVaultUri}`,
    `  Partner Center             ${a.partnerCenterEndpoint}`,
    `  Microsoft Graph            ${a.graphEndpoint}`,
    `  Tenant / app (client id)   ${a.tenantId} / ${a.clientId}`,
    ...(a.customers.length ? [`  Customer tenants           ${a.customers.length > 10 ? `${a.customers.length} (${a.customers.slice(0, 3).map((c) => c.domain).join(", ")}, …)` : a.customers.map((c) => c.domain).join(", ")}`] : []),
    `  Stack outputs              ${a.outputsFile}`,
    `  Sign in as                 ${user.username}, password ${user.password}, MFA code ${user.mfaCode} (valid only here)`,
    "",
    "In another shell, set this environment and run the commands against the emulator.",
    "",
    "  bash, zsh (Linux, macOS, WSL, Git Bash):",
    "",
    ...posixEnvLines(a.env).map((line) => `  ${line}`),
    "",
    "  PowerShell (Windows, or pwsh anywhere):",
    "",
    ...powerShellEnvLines(a.env).map((line) => `  ${line}`),
    "",
    "  Then:",
    "",
    `  npx partner-center-sam bootstrap --outputs ${shellQuote(a.outputsFile)}`,
    `  npx partner-center-sam status --outputs ${shellQuote(a.outputsFile)}`,
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

/** Starts the emulator, announces it and serves until `signal` aborts; then stops everything. */
export async function serveEmulator(options: ServeEmulatorOptions): Promise<void> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const emu = await startEmulator({
    port: options.port,
    seed: options.seed,
    customers: options.customers === undefined ? defaultEstate() : generatedEstate(options.customers),
    trustInProcess: false,
    signInPagesOverHttp: true,
  });
  try {
    const outputsFile = emu.writeOutputs(options.outputsFile);
    const a = announcement(emu, outputsFile);
    write(options.json ? `${JSON.stringify(a, null, 2)}\n` : announcementText(a));
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) return resolve();
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    await emu.close();
  }
}
