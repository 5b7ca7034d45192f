// Which test file a free runner slot takes next. Browser tests each drive Chromium, the
// portal's server, an API and a worker: on two cores, two of them at once starve each other
// (elements awaited past their timeouts), so at most one runs at a time. Every other slot
// takes the other files, and a slot freed by the last browser test takes them too, so no
// slot idles while files wait (two fixed lanes left one idle for a third of the run).

/** The browser tests: they need the portal built and a browser. */
export const isBrowserTest = (file: string): boolean => file.startsWith('tests/e2e/');

/**
 * The slow kinds first, so the short files fill the slots at the end of the run: the suites
 * that start whole platforms and fault them, then the integration tests, then the rest.
 */
const ORDER = [
  'tests/security/',
  'tests/chaos/',
  'tests/integration/',
  'tests/ports/',
  'tests/workflows/',
  'tests/activities/',
  'tests/replay/',
];

function rank(file: string): number {
  const index = ORDER.findIndex((prefix) => file.startsWith(prefix));
  return index === -1 ? ORDER.length : index;
}

export class TestQueue {
  private readonly browser: string[];
  private readonly other: string[];
  private browserRunning = false;

  constructor(files: string[]) {
    this.browser = files.filter(isBrowserTest);
    // A stable sort: within a rank, the files keep the order they were found in.
    this.other = files.filter((file) => !isBrowserTest(file)).sort((a, b) => rank(a) - rank(b));
  }

  /** The file a free slot runs next; undefined: nothing this slot may take now (or ever). */
  take(): string | undefined {
    if (!this.browserRunning && this.browser.length > 0) {
      this.browserRunning = true;
      return this.browser.shift();
    }
    return this.other.shift();
  }

  /** A slot finished `file`. */
  finished(file: string): void {
    if (isBrowserTest(file)) this.browserRunning = false;
  }

  get remaining(): number {
    return this.browser.length + this.other.length;
  }
}
