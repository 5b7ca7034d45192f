// Which Chromium the browser tests (tests/e2e) drive. In order: the executable named by
// ATRIUM_CHROMIUM; the usual names on PATH; a browser in Playwright's download cache. With
// none of those, one is installed — Debian's chromium package when running as root on
// Debian or Ubuntu, Playwright's own installer otherwise (or when apt fails) — and looked
// for again. When that fails too, the error names the exact commands to run. `npm test`
// (scripts/test.ts) runs this once and hands the result to the tests as ATRIUM_TEST_CHROMIUM.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Looked for on PATH, in this order. */
export const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;

/**
 * Playwright keeps each download in `<cache>/<name>-<revision>/`; where the executable sits
 * inside depends on the Playwright version and the CPU. The full browser comes before the
 * headless shell, a newer revision before an older one.
 */
const PLAYWRIGHT_BUILDS = [
  { prefix: 'chromium-', executables: ['chrome-linux64/chrome', 'chrome-linux-arm64/chrome', 'chrome-linux/chrome'] },
  {
    prefix: 'chromium_headless_shell-',
    executables: [
      'chrome-headless-shell-linux64/chrome-headless-shell',
      'chrome-headless-shell-linux-arm64/chrome-headless-shell',
      'chrome-linux/headless_shell',
    ],
  },
];

/** Where to look (read once from the environment by scripts/test-config.ts). */
export interface BrowserPlaces {
  /** ATRIUM_CHROMIUM: wins over everything else; it must name an executable file. */
  chromium?: string | undefined;
  /** PATH */
  path: string;
  /** Playwright's browser cache (PLAYWRIGHT_BROWSERS_PATH or its default). */
  playwrightCache: string;
}

export interface FoundBrowser {
  executable: string;
  /** Where it was found, for the run's first lines: `ATRIUM_CHROMIUM`, `chromium on PATH`, … */
  source: string;
}

export class BrowserNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrowserNotFound';
  }
}

/** Why `file` cannot be run as a browser, or undefined when it can. Symlinks are followed. */
export function executableProblem(file: string): string | undefined {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return `${file} does not exist`;
  }
  if (!isFile) return `${file} is not a file`;
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return `${file} is not executable`;
  }
  return undefined;
}

/** The first browser in lookup order (variable, PATH names, Playwright's cache), without installing. */
export function findBrowser(places: BrowserPlaces): FoundBrowser | undefined {
  if (places.chromium) {
    const problem = executableProblem(places.chromium);
    if (problem) throw new BrowserNotFound(`ATRIUM_CHROMIUM: ${chromiumVariableProblem(problem)}`);
    return { executable: places.chromium, source: 'ATRIUM_CHROMIUM' };
  }
  const dirs = places.path.split(delimiter).filter(Boolean);
  for (const name of PATH_NAMES) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (!executableProblem(file)) return { executable: file, source: `${name} on PATH` };
    }
  }
  const cached = findInPlaywrightCache(places.playwrightCache);
  return cached === undefined
    ? undefined
    : { executable: cached, source: `Playwright's cache (${places.playwrightCache})` };
}

/** What to say about an ATRIUM_CHROMIUM that names no executable (shared with the config check). */
export function chromiumVariableProblem(problem: string): string {
  return `${problem}. Point it at a Chromium or Chrome executable, or unset it to let npm test find or install one.`;
}

function findInPlaywrightCache(cache: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(cache);
  } catch {
    return undefined;
  }
  for (const { prefix, executables } of PLAYWRIGHT_BUILDS) {
    const revisions = entries
      .filter((entry) => entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length)))
      .sort((a, b) => Number(b.slice(prefix.length)) - Number(a.slice(prefix.length)));
    for (const revision of revisions) {
      for (const executable of executables) {
        const file = join(cache, revision, executable);
        if (!executableProblem(file)) return file;
      }
    }
  }
  return undefined;
}

/** One way of installing a browser; `install` returns why it failed, or undefined. */
export interface BrowserInstaller {
  /** The command as a person would type it, for messages. */
  command: string;
  install(): string | undefined;
}

/** The machine, as far as choosing an installer goes. */
export interface Host {
  root: boolean;
  /** The text of /etc/os-release ('' when there is none). */
  osRelease: string;
}

export function isDebianLike(osRelease: string): boolean {
  const field = (name: string) =>
    new RegExp(`^${name}=["']?([^"'\\n]*)`, 'm').exec(osRelease)?.[1]?.toLowerCase().split(/\s+/) ?? [];
  return [...field('ID'), ...field('ID_LIKE')].some((id) => id === 'debian' || id === 'ubuntu');
}

/**
 * The installers to try, in order: apt as root on Debian or Ubuntu, then Playwright's
 * installer (it downloads from cdn.playwright.dev into Playwright's cache).
 */
export function browserInstallers(host: Host, playwrightCli: string): BrowserInstaller[] {
  const installers: BrowserInstaller[] = [];
  if (host.root && isDebianLike(host.osRelease)) {
    installers.push({
      command: 'apt-get install chromium',
      install: () =>
        run('apt-get', ['update', '-qq'], { quiet: true }) ??
        run('apt-get', ['install', '-y', '-qq', 'chromium'], { quiet: true }),
    });
  }
  installers.push({
    command: 'npx playwright-core install chromium',
    install: () => run(process.execPath, [playwrightCli, 'install', 'chromium']),
  });
  return installers;
}

/**
 * Runs an installer; undefined when it worked, else why not. `quiet`: its output (dpkg's
 * hundreds of "Unpacking" lines) is kept and shown only when it fails.
 */
function run(command: string, args: string[], { quiet = false } = {}): string | undefined {
  const result = spawnSync(command, args, {
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const failed = result.error
    ? result.error.message
    : result.status !== 0
      ? `exit ${result.status ?? result.signal}`
      : undefined;
  if (failed && quiet) {
    const output = `${result.stdout?.toString() ?? ''}${result.stderr?.toString() ?? ''}`.trimEnd().split('\n');
    console.error(`${command} ${args.join(' ')} failed (${failed}); its last lines:\n${output.slice(-30).join('\n')}`);
  }
  return failed;
}

/** What a person can run when nothing worked. */
export function installAdvice(host: Host): string[] {
  const advice: string[] = [];
  if (isDebianLike(host.osRelease))
    advice.push(`${host.root ? '' : 'sudo '}apt-get install chromium    # Debian's package`);
  advice.push("npx playwright-core install chromium    # Playwright's build, into its cache");
  advice.push('export ATRIUM_CHROMIUM=/path/to/chrome    # any Chromium or Chrome already on this machine');
  return advice;
}

/**
 * The browser the tests will use: found, or installed and then found. Throws
 * BrowserNotFound with what was tried and the exact commands to run.
 */
export function findOrInstallBrowser(
  places: BrowserPlaces,
  installers: BrowserInstaller[],
  advice: string[],
  say: (line: string) => void = console.log,
): FoundBrowser {
  const found = findBrowser(places);
  if (found) return found;
  const tried: string[] = [];
  for (const installer of installers) {
    say(`No browser for the browser tests on this machine; installing one: ${installer.command}`);
    const failure = installer.install();
    if (failure) {
      tried.push(`${installer.command}: failed (${failure})`);
      continue;
    }
    const installed = findBrowser(places);
    if (installed) return { ...installed, source: `${installed.source}, installed by ${installer.command}` };
    tried.push(`${installer.command}: finished, but no browser appeared where npm test looks`);
  }
  throw new BrowserNotFound(
    [
      `No Chromium for the browser tests. Looked for ATRIUM_CHROMIUM, ${PATH_NAMES.join(', ')} on PATH, and Playwright's cache (${places.playwrightCache}).`,
      ...tried.map((line) => `  tried ${line}`),
      'Install one and run npm test again, with one of:',
      ...advice.map((line) => `  ${line}`),
    ].join('\n'),
  );
}

/** The browser's own `--version` line, which also proves it runs. */
export function browserVersion(executable: string): string {
  const result = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const line = result.stdout?.trim().split('\n')[0];
  if (result.error || result.status !== 0 || !line)
    throw new BrowserNotFound(
      `${executable} --version failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}${result.stderr ? `: ${result.stderr.trim().slice(0, 300)}` : ''}). Set ATRIUM_CHROMIUM to a browser that runs.`,
    );
  return line;
}
