// A second reporter for `npm test`: at the end of a lane it prints that lane's slowest test
// files, so a run shows where its time goes (the budget for a whole run is in the README,
// "Tests"). A file's time is the sum of its top-level tests and suites, hooks included: what
// the file holds a runner slot for, give or take its imports.
import type { TestEvent } from 'node:test/reporters';

const SHOWN = 15;

export default async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const perFile = new Map<string, number>();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.nesting !== 0 || !data.file) continue;
    perFile.set(data.file, (perFile.get(data.file) ?? 0) + (data.details.duration_ms ?? 0));
  }
  if (perFile.size === 0) return;
  const total = [...perFile.values()].reduce((sum, ms) => sum + ms, 0);
  const slowest = [...perFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
  const cwd = `${process.cwd()}/`;
  yield `\nSlowest of ${perFile.size} test files (${seconds(total)} in all):\n`;
  for (const [file, ms] of slowest) yield `  ${seconds(ms).padStart(7)}  ${file.replace(cwd, '')}\n`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
