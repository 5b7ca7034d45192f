// Waiting in a test for something another process makes happen (a delivery, a row, a state),
// by asking again every 100 ms; a test never sleeps for a fixed time hoping it is enough.
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with `probe`'s first answer other than undefined or false; throws after `timeoutMs`, naming `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}
