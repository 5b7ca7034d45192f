import { Context } from '@temporalio/activity';

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-activity is noticed after
 * the heartbeat timeout rather than the (much longer) start-to-close timeout.
 * The SDK throttles heartbeats, so a short interval costs nothing.
 *
 * When the activity is cancelled (for instance the worker is shutting down and its grace
 * time is over), it stops waiting: the attempt fails and Temporal retries it on another
 * worker. What `work` leaves behind is harmless: it runs in a transaction under a
 * per-tenant lock, and the retry waits for that lock.
 */
export async function heartbeatWhile<T>(work: () => Promise<T>, intervalMs = 1_000): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  const pending = work();
  pending.catch(() => {}); // once abandoned on cancellation, its outcome no longer matters
  try {
    return await Promise.race([pending, context.cancelled]);
  } finally {
    clearInterval(timer);
  }
}
