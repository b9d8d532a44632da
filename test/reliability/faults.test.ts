/** The reliability suite's faults: one test per case, recorded for the report (see harness.ts). */
import { faultCases } from "./faults.cases";
import { defineCases } from "./harness";

defineCases("fault", faultCases);
