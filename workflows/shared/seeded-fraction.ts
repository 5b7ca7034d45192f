// A number in [0, 1) from a string (32-bit FNV-1a): the same seed always gives the same
// number, so a workflow that spreads its retries or timers with it replays exactly, while
// different seeds (events, attempts, connections) land at different moments.
export function seededFraction(seed: string): number {
  let hash = 2166136261;
  for (const char of seed) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash / 2 ** 32;
}
