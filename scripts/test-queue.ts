// Which test file a free runner slot takes next. Browser tests each drive Chromium, the
// portal's server, an API and a worker: on two cores, two of them at once starve each other
// (elements awaited past their timeouts), so at most one runs at a time. Every other slot
// takes the other files, and a slot freed by the last browser test takes them too, so no
// slot idles while files wait (two fixed lanes left one idle for a third of the run). Files
// that need the real servers may wait for them behind a gate (their first build takes many
// minutes on a new machine); the other files run meanwhile.

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
  private readonly gated: (file: string) => boolean;
  private browserRunning = false;
  private gateOpen = false;

  /**
   * `gated`: files that wait until `open()` (those that need the real servers, which may still
   * be building); the others run meanwhile.
   */
  constructor(files: string[], gated: (file: string) => boolean = () => false) {
    this.browser = files.filter(isBrowserTest);
    // A stable sort: within a rank, the files keep the order they were found in.
    this.other = files.filter((file) => !isBrowserTest(file)).sort((a, b) => rank(a) - rank(b));
    this.gated = gated;
  }

  /**
   * The file a free slot runs next; undefined: nothing this slot may take now (or ever, unless
   * `waiting`: files wait for the gate).
   */
  take(): string | undefined {
    const ready = (file: string) => this.gateOpen || !this.gated(file);
    if (!this.browserRunning) {
      const file = takeFirst(this.browser, ready);
      if (file !== undefined) {
        this.browserRunning = true;
        return file;
      }
    }
    return takeFirst(this.other, ready);
  }

  /** A slot finished `file`. */
  finished(file: string): void {
    if (isBrowserTest(file)) this.browserRunning = false;
  }

  /** The gated files may run now. */
  open(): void {
    this.gateOpen = true;
  }

  /** Whether files are left that wait for the gate. */
  get waiting(): boolean {
    return !this.gateOpen && [...this.browser, ...this.other].some(this.gated);
  }

  get remaining(): number {
    return this.browser.length + this.other.length;
  }
}

function takeFirst(files: string[], ready: (file: string) => boolean): string | undefined {
  const index = files.findIndex(ready);
  return index === -1 ? undefined : files.splice(index, 1)[0];
}
