// What a benchmark started, stopped in reverse order at the end, also on Ctrl-C. A
// benchmark registers each process, database and folder here as soon as it exists.
const cleanups: Array<() => Promise<void> | void> = [];

export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** How many cleanups are registered: `cleanUpTo(mark)` later undoes only what came after. */
export function cleanupMark(): number {
  return cleanups.length;
}

export async function cleanUpTo(mark = 0): Promise<void> {
  while (cleanups.length > mark) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanUpTo(0).finally(() => process.exit(130));
  });
