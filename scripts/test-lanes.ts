// How `npm test` spreads the test files over runners. Browser tests each drive Chromium, the
// portal's server, an API and a worker: on two cores, two of them at once starve each other
// (elements awaited past their timeouts). So they run one at a time, in a lane of their own,
// beside the other files, which share the rest of ATRIUM_TEST_CONCURRENCY.

export interface TestLane {
  name: 'browser' | 'other' | 'all';
  files: string[];
  /** Files of this lane at once. */
  concurrency: number;
}

/** The browser tests: they need the portal built and a browser. */
export const isBrowserTest = (file: string): boolean => file.startsWith('tests/e2e/');

export function planTestLanes(files: string[], concurrency: number): TestLane[] {
  const browser = files.filter(isBrowserTest);
  const other = files.filter((file) => !isBrowserTest(file));
  if (concurrency <= 1 || browser.length === 0 || other.length === 0)
    return [{ name: 'all', files, concurrency: browser.length === files.length ? 1 : concurrency }];
  return [
    { name: 'browser', files: browser, concurrency: 1 },
    { name: 'other', files: other, concurrency: concurrency - 1 },
  ];
}
