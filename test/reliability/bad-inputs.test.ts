/** The reliability suite's bad inputs: one test per case, recorded for the report (see harness.ts). */
import { badInputCases } from "./bad-inputs.cases";
import { defineCases } from "./harness";

defineCases("bad input", badInputCases);
