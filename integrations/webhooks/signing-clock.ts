// The clock that stamps each delivery attempt's `webhook-timestamp`. In production it is the
// real clock. Tests that must show attempts minutes apart without waiting minutes run the
// worker with an accelerated one (WEBHOOK_TEST_SIGNING_CLOCK): from a fixed moment it runs
// `rate` times as fast as real time, so retries seconds apart are signed minutes apart, and
// a receiver reading the same accelerated clock verifies each one at its own time.

export type SigningClock = () => Date;

export const realSigningClock: SigningClock = () => new Date();

export interface AcceleratedClockSetting {
  /** How many times as fast as real time it runs (> 1). */
  rate: number;
  /** The moment (ms since the epoch) at which it reads the real time. */
  epochMs: number;
}

export function acceleratedClock({ rate, epochMs }: AcceleratedClockSetting): SigningClock {
  return () => new Date(epochMs + (Date.now() - epochMs) * rate);
}

const SETTING = /^(\d+(?:\.\d+)?)x@(\d{1,16})$/;

/** Reads `<rate>x@<epoch ms>` (`100x@1764100000000`); null when it is not of that form. */
export function parseAcceleratedClock(value: string): AcceleratedClockSetting | null {
  const match = SETTING.exec(value);
  if (!match) return null;
  const rate = Number(match[1]);
  return rate >= 1 ? { rate, epochMs: Number(match[2]) } : null;
}
