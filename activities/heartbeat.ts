import { Context } from '@temporalio/activity';

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-activity is noticed after
 * the heartbeat timeout rather than the (much longer) start-to-close timeout.
 * The SDK throttles heartbeats, so a short interval costs nothing.
 */
export async function heartbeatWhile<T>(work: () => Promise<T>, intervalMs = 1_000): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
