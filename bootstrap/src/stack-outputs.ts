import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { SecretNames } from "./contract";
import { UsageError } from "./errors";
import { describeValue, isGuid, isHttpsUrl, isRedirectUri, isSecretName, trimTrailingSlash } from "./validate";

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
  /** Optional: shown when Entra ID says consent is missing. */
  adminConsentUrl?: string;
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
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (error as Error).message;
    throw new UsageError("outputs_file_unreadable", `Cannot read the stack outputs file ${file}: ${reason}.`, {
      hint: "Save it with `pulumi stack output --json --show-secrets > FILE`, or omit --outputs to ask the Pulumi CLI.",
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError("outputs_file_invalid", `The stack outputs file ${file} is not valid JSON.`, {
      hint: "Save it again with `pulumi stack output --json --show-secrets > FILE`.",
    });
  }
}

function runPulumiStackOutput(stack: string | undefined): Promise<unknown> {
  const args = ["stack", "output", "--json", "--show-secrets", ...(stack ? ["--stack", stack] : [])];
  return new Promise((resolve, reject) => {
    execFile("pulumi", args, { maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new UsageError("pulumi_cli_missing", "The Pulumi CLI (`pulumi`) was not found on PATH, so the stack outputs cannot be read.", {
            hint: "Install the Pulumi CLI, or pass --outputs FILE with the JSON of `pulumi stack output --json --show-secrets` saved where the CLI is available.",
          }),
        );
        return;
      }
      if (error) {
        const detail = String(stderr).trim().split("\n").slice(-3).join(" ");
        reject(
          new UsageError("pulumi_stack_output_failed", `\`pulumi ${args.join(" ")}\` failed${detail ? `: ${detail}` : "."}`, {
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
        reject(new UsageError("pulumi_stack_output_invalid", "`pulumi stack output --json` did not print valid JSON.", { hint: RUN_PULUMI_UP }));
      }
    });
  });
}

/** Validates the outputs and reports every missing or malformed one at once. */
export function parseStackOutputs(raw: unknown): StackOutputs {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UsageError("stack_outputs_invalid", "The stack outputs are not a JSON object.", { hint: RUN_PULUMI_UP });
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const check = (name: string, ok: boolean, rule: string) => {
    if (!ok) problems.push(`${name} ${o[name] === undefined ? "is missing" : `is ${describeValue(o[name])}, expected ${rule}`}`);
  };
  check("tenantId", isGuid(o.tenantId), "a GUID");
  check("clientId", isGuid(o.clientId), "a GUID");
  check("redirectUri", isRedirectUri(o.redirectUri), "http://localhost[:port]/ or an https URL");
  check("keyVaultUri", isHttpsUrl(o.keyVaultUri), "an https URL such as https://kv-name.vault.azure.net/");
  check("authorityHost", isHttpsUrl(o.authorityHost), "an https URL such as https://login.microsoftonline.com");
  check("partnerCenterEndpoint", isHttpsUrl(o.partnerCenterEndpoint), "an https URL such as https://api.partnercenter.microsoft.com");
  check(
    "scopes",
    Array.isArray(o.scopes) && o.scopes.length > 0 && o.scopes.every((s) => typeof s === "string" && s.length > 0),
    "a non-empty array of scope strings",
  );
  const names = o.secretNames as Record<string, unknown> | undefined;
  const nameKeys = ["clientId", "clientSecret", "tenantId", "refreshToken"] as const;
  check(
    "secretNames",
    typeof names === "object" && names !== null && nameKeys.every((k) => isSecretName(names[k])),
    `an object with ${nameKeys.join(", ")} (Key Vault secret names)`,
  );
  if (o.adminConsentUrl !== undefined) check("adminConsentUrl", isHttpsUrl(o.adminConsentUrl), "an https URL");
  if (problems.length > 0) {
    throw new UsageError(
      "stack_outputs_invalid",
      `The stack outputs are missing or malformed:\n  - ${problems.join("\n  - ")}`,
      { hint: RUN_PULUMI_UP },
    );
  }
  return {
    tenantId: o.tenantId as string,
    clientId: o.clientId as string,
    redirectUri: o.redirectUri as string,
    keyVaultUri: o.keyVaultUri as string,
    secretNames: {
      clientId: names!.clientId as string,
      clientSecret: names!.clientSecret as string,
      tenantId: names!.tenantId as string,
      refreshToken: names!.refreshToken as string,
    },
    scopes: o.scopes as string[],
    authorityHost: trimTrailingSlash(o.authorityHost as string),
    partnerCenterEndpoint: trimTrailingSlash(o.partnerCenterEndpoint as string),
    adminConsentUrl: o.adminConsentUrl as string | undefined,
  };
}
