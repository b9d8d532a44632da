import { deliver, type DeliveryResult } from "../notify/deliver";
import { buildMessage, type NotifyMessage } from "../notify/message";
import type { NotifyTarget } from "../notify/targets";

/** Options for {@link runNotifyTest}. */
export interface NotifyTestOptions {
  targets: NotifyTarget[];
  /** HMAC key for the generic JSON targets. */
  secret?: string;
  now?: Date;
  signal?: AbortSignal;
}

/** The test message `notify --test` sends. */
export function testMessage(now = new Date()): NotifyMessage {
  return buildMessage(
    { command: "notify", now },
    {
      event: "test",
      exitCode: 0,
      summary: "Test notification: partner-center-sam can reach this channel. Real messages name the stack or vault, what happened and the next step.",
      actions: [],
    },
  );
}

/** Sends the test message to every target (10 s timeout and one retry each); resolves with one result per target. */
export async function runNotifyTest(options: NotifyTestOptions): Promise<{ message: NotifyMessage; results: DeliveryResult[] }> {
  const message = testMessage(options.now);
  const results = await deliver(options.targets, message, { secret: options.secret, signal: options.signal });
  return { message, results };
}
