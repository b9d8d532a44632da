/** How import-token explains Entra ID's refusals of a refresh token from elsewhere (decided on the AADSTS number, never the text). */
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../bootstrap/src/core/errors";
import { explainImportError } from "../../../bootstrap/src/entra/import-redemption";

const APP = { clientId: "11111111-1111-1111-1111-111111111111", tenantId: "00000000-0000-0000-0000-0000000000aa", clientSecret: "not-used-here" };

/** msal-node's ServerError for a token-endpoint answer, as far as readEntraError looks at it. */
const entra = (error: string, errorNo: number, description: string) => ({ name: "ServerError", errorCode: error, errorNo: String(errorNo), errorMessage: `AADSTS${errorNo}: ${description}` });

describe("explainImportError", () => {
  it.each([
    [700007, "import_token_other_app", ExitCode.Usage],
    [7000012, "import_token_other_tenant", ExitCode.Usage],
    [50020, "import_token_other_tenant", ExitCode.Usage],
    [9002313, "import_token_input", ExitCode.Usage],
    [70000, "import_token_input", ExitCode.Usage],
    [700082, "import_token_refused", ExitCode.ActionNeeded],
    [70008, "import_token_refused", ExitCode.ActionNeeded],
    [50173, "import_token_refused", ExitCode.ActionNeeded],
    [70043, "import_token_refused", ExitCode.ActionNeeded],
  ])("maps invalid_grant AADSTS%s to %s", (code, expected, exitCode) => {
    const error = explainImportError(entra("invalid_grant", code, "whatever the text says"), APP);
    expect(error).toMatchObject({ code: expected, exitCode, aadsts: String(code) });
  });

  it("decides on the number, not on a description that mentions another code", () => {
    expect(explainImportError(entra("invalid_grant", 700082, "AADSTS700007 mentioned in passing"), APP)).toMatchObject({ code: "import_token_refused" });
  });

  it("leaves the app's own problems (a rejected client secret) to the usual explanation", () => {
    expect(explainImportError({ name: "ServerError", errorCode: "invalid_client", errorNo: "7000215", errorMessage: "AADSTS7000215: Invalid client secret provided." }, APP)).toMatchObject({ code: "invalid_client_secret" });
  });
});
