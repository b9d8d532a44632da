import { execFile } from "node:child_process";
import { nodeFsPromises } from "../core/lazy-builtins";
import type { SecretNames } from "../core/contract";
import { catalogError } from "../core/error-catalogue";
import { checkUrl, describeValue, isGuid, isSecretName, sharedSecretNameProblems, URL_RULES, type UrlRule } from "../core/validate";

/** The stack outputs the commands rely on (see the README's "Outputs"). */
export interface StackOutputs {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  keyVaultUri: string;
  secretNames: SecretNames;
  scopes: string[];
  authorityHost: string;
  partnerCenterEndpoint: string;
  /** Optional (stacks from before sovereign-cloud Graph support lack it): Microsoft Graph's endpoint. */
  graphEndpoint?: string;
  /** Optional: shown when Entra ID says consent is missing. */
  adminConsentUrl?: string;
  /** Optional (stacks from before customer tenants lack it): the app is multi-tenant. `consent` needs it true. */
  multiTenant?: boolean;
  /** Optional: the Graph delegated scope names `consent` grants in customer tenants. */
  customerGraphScopes?: string[];
  /** Optional (only when the stack deploys the expiry alerts): the Azure Monitor action group's resource id. */
  alertActionGroupId?: string;
  /** Optional, with `alertActionGroupId`: when the alerts were first deployed (ISO 8601). */
  alertsSince?: string;
  /** Optional: config customerInclude — the customer tenant ids `customers`, `call --customers` and `consent --all` cover (empty = all). */
  customerInclude?: string[];
  /** Optional: config customerExclude — customer tenant ids those commands leave out. */
  customerExclude?: string[];
  /** Optional: config gdapRoles as Entra role template ids — the roles every customer must grant (`customers` checks them). */
  gdapRoles?: string[];
}

/** Where to read the outputs from. */
export interface StackOutputSource {
  /** `--stack`: the Pulumi stack to ask. */
  stack?: string;
  /** `--outputs`: a file holding `pulumi stack output --json --show-secrets`. */
  outputsFile?: string;
}

const RUN_PULUMI_UP = "Run `pulumi up` for this stack (or save its outputs again with `pulumi stack output --json --show-secrets > FILE`).";

/** Reads the outputs from `--outputs FILE` or the Pulumi CLI, and validates them. */
export async function loadStackOutputs(source: StackOutputSource): Promise<StackOutputs> {
  const raw = source.outputsFile ? await readOutputsFile(source.outputsFile) : await runPulumiStackOutput(source.stack);
  return parseStackOutputs(raw);
}

async function readOutputsFile(file: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await nodeFsPromises().readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (error as Error).message;
    throw catalogError("outputs_file_unreadable", {
      message: `Cannot read the stack outputs file ${file}: ${reason}.`,
      hint: "Save it with `pulumi stack output --json --show-secrets > FILE`, or omit --outputs to ask the Pulumi CLI.",
    });
  }
  const encoding = unsupportedEncoding(bytes);
  if (encoding) {
    throw catalogError("outputs_file_encoding", {
      message: `The stack outputs file ${file} is encoded as ${encoding}; it must be UTF-8.`,
      hint:
        "Save it again as UTF-8: in PowerShell `pulumi stack output --json --show-secrets | Out-File -Encoding utf8 FILE`, " +
        "or convert it with `iconv -f UTF-16 -t UTF-8`.",
    });
  }
  // A UTF-8 byte order mark (Windows editors, PowerShell's utf8) is not part of the JSON.
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text);
  } catch {
    throw catalogError("outputs_file_invalid", { message: `The stack outputs file ${file} is not valid JSON.`, hint: "Save it again with `pulumi stack output --json --show-secrets > FILE`." });
  }
}

/** The name of an encoding other than UTF-8 the file is evidently in (UTF-16/32 by byte order mark or NUL bytes), if any. */
function unsupportedEncoding(bytes: Buffer): string | undefined {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x0000feff) return "UTF-32 (big-endian)";
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x0000feff) return "UTF-32 (little-endian)";
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return "UTF-16 (little-endian)";
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return "UTF-16 (big-endian)";
  // JSON text starts with ASCII; UTF-16 without a byte order mark puts a NUL byte beside every ASCII one.
  if (bytes.length >= 2 && bytes.subarray(0, 64).includes(0)) return bytes[0] === 0 ? "UTF-16 (big-endian)" : "UTF-16 (little-endian)";
  return undefined;
}

function runPulumiStackOutput(stack: string | undefined): Promise<unknown> {
  const args = ["stack", "output", "--json", "--show-secrets", ...(stack ? ["--stack", stack] : [])];
  return new Promise((resolve, reject) => {
    execFile("pulumi", args, { maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          catalogError("pulumi_cli_missing", {
            message: "The Pulumi CLI (`pulumi`) was not found on PATH, so the stack outputs cannot be read.",
            hint: "Install the Pulumi CLI, or pass --outputs FILE with the JSON of `pulumi stack output --json --show-secrets` saved where the CLI is available.",
          }),
        );
        return;
      }
      if (error) {
        const detail = String(stderr).trim().split("\n").slice(-3).join(" ");
        reject(
          catalogError("pulumi_stack_output_failed", {
            message: `\`pulumi ${args.join(" ")}\` failed${detail ? `: ${detail}` : "."}`,
            hint: stack
              ? `Check that stack "${stack}" exists (\`pulumi stack ls\`) and that you are logged in to its backend.`
              : "Select a stack with `pulumi stack select NAME` or pass --stack NAME, or pass --outputs FILE.",
          }),
        );
        return;
      }
      try {
        resolve(JSON.parse(String(stdout)));
      } catch {
        reject(catalogError("pulumi_stack_output_invalid", { message: "`pulumi stack output --json` did not print valid JSON.", hint: RUN_PULUMI_UP }));
      }
    });
  });
}

/** Validates the outputs and reports every missing or malformed one at once. */
export function parseStackOutputs(raw: unknown): StackOutputs {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw catalogError("stack_outputs_invalid", { message: "The stack outputs are not a JSON object.", hint: RUN_PULUMI_UP });
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const check = (name: string, ok: boolean, rule: string) => {
    if (!ok) problems.push(`${name} ${o[name] === undefined ? "is missing" : `is ${describeValue(o[name])}, expected ${rule}`}`);
  };
  const url = (name: keyof typeof URL_RULES, rule: UrlRule): string | undefined => {
    if (o[name] === undefined) {
      problems.push(`${name} is missing`);
      return undefined;
    }
    const result = checkUrl(o[name], rule);
    if (result.ok) return result.normalized;
    problems.push(`${name} is ${result.shown}, expected ${rule.expected} (${result.reason})`);
    return undefined;
  };
  check("tenantId", isGuid(o.tenantId), "a GUID");
  check("clientId", isGuid(o.clientId), "a GUID");
  const redirectUri = url("redirectUri", URL_RULES.redirectUri);
  const keyVaultUri = url("keyVaultUri", URL_RULES.keyVaultUri) && (o.keyVaultUri as string);
  const authorityHost = url("authorityHost", URL_RULES.authorityHost);
  const partnerCenterEndpoint = url("partnerCenterEndpoint", URL_RULES.partnerCenterEndpoint);
  check(
    "scopes",
    Array.isArray(o.scopes) && o.scopes.length > 0 && o.scopes.every((s) => typeof s === "string" && s.length > 0),
    "a non-empty array of scope strings",
  );
  const names = o.secretNames as Record<string, unknown> | undefined;
  const requiredKeys = ["clientId", "tenantId", "refreshToken"] as const;
  // The app credential: a stack names the certificate, the client secret, or (not this stack, but allowed) both.
  const credentialKeys = ["clientCertificate", "clientSecret"] as const;
  const nameKeys = ["clientId", "clientSecret", "clientCertificate", "tenantId", "refreshToken"] as const;
  if (typeof names !== "object" || names === null || Array.isArray(names)) {
    check("secretNames", false, `an object with ${requiredKeys.join(", ")} and clientCertificate or clientSecret (Key Vault secret names)`);
  } else {
    for (const key of nameKeys) {
      if (names[key] === undefined) {
        if ((requiredKeys as readonly string[]).includes(key)) problems.push(`secretNames.${key} is missing`);
      } else if (!isSecretName(names[key])) problems.push(`secretNames.${key} is ${describeValue(names[key])}, expected a Key Vault secret name (1–127 letters, digits and hyphens)`);
    }
    if (credentialKeys.every((key) => names[key] === undefined)) problems.push("secretNames.clientCertificate (or secretNames.clientSecret) is missing");
    // Two roles sharing a name would make the bootstrap overwrite one secret with the other (e.g. the client secret with the refresh token).
    problems.push(...sharedSecretNameProblems(Object.fromEntries(nameKeys.map((key) => [key, names[key]]))));
  }
  const adminConsentUrl = o.adminConsentUrl === undefined ? undefined : url("adminConsentUrl", URL_RULES.adminConsentUrl) && (o.adminConsentUrl as string);
  const graphEndpoint = o.graphEndpoint === undefined ? undefined : url("graphEndpoint", URL_RULES.graphEndpoint);
  if (o.multiTenant !== undefined) check("multiTenant", typeof o.multiTenant === "boolean", "true or false");
  if (o.customerGraphScopes !== undefined) {
    check("customerGraphScopes", Array.isArray(o.customerGraphScopes) && o.customerGraphScopes.every((s) => typeof s === "string" && /^[A-Za-z][\w.-]*$/.test(s)), "an array of Microsoft Graph scope names");
  }
  if (o.alertActionGroupId !== undefined) {
    check("alertActionGroupId", typeof o.alertActionGroupId === "string" && /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/microsoft\.insights\/actionGroups\/[^/]+$/i.test(o.alertActionGroupId), "an Azure Monitor action group resource id");
  }
  if (o.alertsSince !== undefined) check("alertsSince", typeof o.alertsSince === "string" && !Number.isNaN(Date.parse(o.alertsSince)), "an ISO 8601 time");
  for (const name of ["customerInclude", "customerExclude", "gdapRoles"] as const) {
    if (o[name] !== undefined) check(name, Array.isArray(o[name]) && (o[name] as unknown[]).every(isGuid), name === "gdapRoles" ? "an array of Entra role template ids (GUIDs)" : "an array of customer tenant ids (GUIDs)");
  }
  if (problems.length > 0) {
    throw catalogError("stack_outputs_invalid", { message: `The stack outputs are missing or malformed:\n  - ${problems.join("\n  - ")}`, hint: RUN_PULUMI_UP });
  }
  return {
    tenantId: o.tenantId as string,
    clientId: o.clientId as string,
    redirectUri: redirectUri!,
    keyVaultUri: keyVaultUri!,
    secretNames: {
      clientId: names!.clientId as string,
      ...(names!.clientSecret === undefined ? {} : { clientSecret: names!.clientSecret as string }),
      ...(names!.clientCertificate === undefined ? {} : { clientCertificate: names!.clientCertificate as string }),
      tenantId: names!.tenantId as string,
      refreshToken: names!.refreshToken as string,
    },
    scopes: o.scopes as string[],
    authorityHost: authorityHost!,
    partnerCenterEndpoint: partnerCenterEndpoint!,
    adminConsentUrl,
    ...(graphEndpoint ? { graphEndpoint } : {}),
    ...(typeof o.multiTenant === "boolean" ? { multiTenant: o.multiTenant } : {}),
    ...(Array.isArray(o.customerGraphScopes) ? { customerGraphScopes: [...(o.customerGraphScopes as string[])] } : {}),
    ...(typeof o.alertActionGroupId === "string" ? { alertActionGroupId: o.alertActionGroupId } : {}),
    ...(typeof o.alertsSince === "string" ? { alertsSince: o.alertsSince } : {}),
    ...(Array.isArray(o.customerInclude) ? { customerInclude: (o.customerInclude as string[]).map((id) => id.toLowerCase()) } : {}),
    ...(Array.isArray(o.customerExclude) ? { customerExclude: (o.customerExclude as string[]).map((id) => id.toLowerCase()) } : {}),
    ...(Array.isArray(o.gdapRoles) ? { gdapRoles: (o.gdapRoles as string[]).map((id) => id.toLowerCase()) } : {}),
  };
}
