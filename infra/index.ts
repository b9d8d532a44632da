/**
 * The Pulumi program: reads and validates the stack configuration, declares
 * the PartnerCenterSam component with it and exports its outputs.
 */
import { readStackConfig } from "./config";
import { PartnerCenterSam, argsFromStackConfig } from "./partner-center-sam";

export = new PartnerCenterSam("partner-center-sam", argsFromStackConfig(readStackConfig())).outputs;
