/**
 * The Pulumi program: reads and validates the stack configuration, declares
 * the stack and exports its outputs (see `program.ts` for the resources).
 */
import { readStackConfig } from "./config";
import { definePartnerCenterSam } from "./program";

export = definePartnerCenterSam(readStackConfig());
