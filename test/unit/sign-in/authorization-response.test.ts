import { describe, expect, it } from "vitest";
import { AuthorizationResponseCollector } from "../../../bootstrap/src/sign-in/authorization-response";
import { SignInError } from "../../../bootstrap/src/core/errors";
import { settlement } from "../fixtures";

const STATE = "st4te-Expected_1234";
const params = (values: Record<string, string>) => new URLSearchParams(values);

describe("AuthorizationResponseCollector", () => {
  it("resolves with the code of a response carrying the expected state", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    expect(collector.accept(params({ code: "the-code", state: STATE }))).toEqual({ kind: "code" });
    await expect(collector.response).resolves.toEqual({ code: "the-code" });
    expect(collector.finished).toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ["a wrong state", { code: "attacker-code", state: "other-state" }],
    ["no state", { code: "attacker-code" }],
  ])("ignores a response with %s and keeps waiting for the right one", async (_case, values) => {
    const collector = new AuthorizationResponseCollector(STATE);
    const outcome = collector.accept(params(values));
    expect(outcome.kind).toBe("wrong");
    expect(outcome).toMatchObject({ message: expect.stringContaining("state mismatch") });
    expect(await settlement(collector.response)).toBe("pending");
    expect(collector.finished).toBe(false);

    collector.accept(params({ code: "the-code", state: STATE }));
    await expect(collector.response).resolves.toEqual({ code: "the-code" });
  });

  it("ignores an error that carries a wrong state", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    expect(collector.accept(params({ error: "access_denied", state: "other-state" })).kind).toBe("wrong");
    expect(await settlement(collector.response)).toBe("pending");
  });

  it("rejects with the identity provider's error code and description", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    const description = "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: 0d1c Correlation ID: 5e6f";
    const outcome = collector.accept(params({ error: "access_denied", error_description: description, state: STATE }));
    expect(outcome).toEqual({ kind: "error", message: "AADSTS65004: User declined to consent to access the app." });
    await expect(collector.response).rejects.toMatchObject({ errorCode: "access_denied", errorMessage: description });
    expect(collector.finished).toBe(true);
  });

  it("uses the error code as the description when there is none", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    collector.accept(params({ error: "access_denied", state: STATE }));
    await expect(collector.response).rejects.toMatchObject({ errorCode: "access_denied", errorMessage: "access_denied" });
  });

  it("does not settle on a response with the right state but neither code nor error", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    expect(collector.accept(params({ state: STATE }))).toEqual({ kind: "wrong", message: "The response carries neither a code nor an error." });
    expect(await settlement(collector.response)).toBe("pending");
  });

  it("keeps the first response and turns later ones away", async () => {
    const collector = new AuthorizationResponseCollector(STATE);
    collector.accept(params({ code: "first-code", state: STATE }));
    expect(collector.accept(params({ code: "second-code", state: STATE }))).toEqual({ kind: "wrong", message: "This sign-in has already finished." });
    await expect(collector.response).resolves.toEqual({ code: "first-code" });
  });

  describe("acceptPastedUrl", () => {
    it("resolves with the code of a pasted redirect address with the right state", async () => {
      const collector = new AuthorizationResponseCollector(STATE);
      expect(collector.acceptPastedUrl(`  http://localhost:8400/?code=pasted-code&state=${STATE}&session_state=x\n`)).toBeUndefined();
      await expect(collector.response).resolves.toEqual({ code: "pasted-code" });
    });

    it("explains that garbage is not a URL and keeps waiting", async () => {
      const collector = new AuthorizationResponseCollector(STATE);
      expect(collector.acceptPastedUrl("code=abc")).toBe("That is not a URL. Paste the whole address from the browser's address bar.");
      expect(await settlement(collector.response)).toBe("pending");
    });

    it("explains a pasted address with the wrong state and keeps waiting", async () => {
      const collector = new AuthorizationResponseCollector(STATE);
      expect(collector.acceptPastedUrl("http://localhost:8400/?code=x&state=stale")).toContain("state mismatch");
      expect(await settlement(collector.response)).toBe("pending");
    });
  });

  describe("abort", () => {
    it("rejects the wait with the given error and ends the sign-in", async () => {
      const collector = new AuthorizationResponseCollector(STATE);
      const timeout = new SignInError("sign_in_timeout", "The sign-in did not finish within 5 seconds.");
      collector.abort(timeout);
      await expect(collector.response).rejects.toBe(timeout);
      expect(collector.finished).toBe(true);
      expect(collector.accept(params({ code: "late-code", state: STATE })).kind).toBe("wrong");
    });

    it("does nothing once a code has arrived", async () => {
      const collector = new AuthorizationResponseCollector(STATE);
      collector.accept(params({ code: "the-code", state: STATE }));
      collector.abort(new SignInError("sign_in_timeout", "late"));
      await expect(collector.response).resolves.toEqual({ code: "the-code" });
    });
  });
});
