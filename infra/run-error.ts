import * as pulumi from "@pulumi/pulumi";

/**
 * An error for a failure inside an `apply`: a `RunError`, so Pulumi prints its
 * message alone, and without stack frames — Pulumi inspects every uncaught
 * error's stack, and on Node 20 that takes tens of seconds for frames mapped
 * into @pulumi/pulumi's sources, which is where `apply` callbacks run.
 */
export function applyError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  error.stack = `${error.name}: ${message}`;
  return error;
}
