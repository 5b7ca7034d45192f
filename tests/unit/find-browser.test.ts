// How `npm test` finds the browser for the browser tests (scripts/find-browser.ts): the
// lookup order on temporary folders with a PATH of the test's own, the installers tried
// when there is none, and a wrong ATRIUM_CHROMIUM stopping the run before it starts anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../config/env.ts';
import type { BrowserInstaller, BrowserPlaces } from '../../scripts/find-browser.ts';
import {
  BrowserNotFound,
  browserInstallers,
  browserVersion,
  findBrowser,
  findOrInstallBrowser,
  installAdvice,
  isDebianLike,
} from '../../scripts/find-browser.ts';
import { readTestRunnerConfig } from '../../scripts/test-config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const temporary = mkdtempSync(join(tmpdir(), 'atrium-find-browser-'));
after(() => rmSync(temporary, { recursive: true, force: true }));

let folders = 0;
/** A new empty folder under the test's temporary folder. */
function folder(): string {
  const path = join(temporary, String(++folders));
  mkdirSync(path);
  return path;
}

/** A stand-in browser: a script that answers `--version`. */
function fakeBrowser(path: string, version = 'Chromium 1.0'): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho "${version}"\n`);
  chmodSync(path, 0o755);
  return path;
}

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

describe('finding a browser', () => {
  it('looks at ATRIUM_CHROMIUM, then PATH, then Playwright’s cache, then installs', () => {
    const variable = fakeBrowser(join(folder(), 'my-chrome'));
    const bin = folder();
    const onPath = fakeBrowser(join(bin, 'chromium'));
    const cache = folder();
    const cached = fakeBrowser(join(cache, 'chromium-1200/chrome-linux64/chrome'));
    const places: BrowserPlaces = { chromium: variable, path: `${folder()}:${bin}`, playwrightCache: cache };

    assert.deepEqual(findBrowser(places), { executable: variable, source: 'ATRIUM_CHROMIUM' });
    assert.deepEqual(findBrowser({ ...places, chromium: undefined }), {
      executable: onPath,
      source: 'chromium on PATH',
    });
    assert.deepEqual(findBrowser({ ...places, chromium: undefined, path: folder() }), {
      executable: cached,
      source: `Playwright's cache (${cache})`,
    });

    const empty: BrowserPlaces = { path: folder(), playwrightCache: folder() };
    assert.equal(findBrowser(empty), undefined);
    const calls: string[] = [];
    const installers: BrowserInstaller[] = [
      { command: 'first', install: () => (calls.push('first'), 'exit 100') },
      {
        command: 'second',
        install: () => {
          calls.push('second');
          fakeBrowser(join(empty.playwrightCache, 'chromium-1300/chrome-linux64/chrome'));
          return undefined;
        },
      },
      { command: 'third', install: () => (calls.push('third'), undefined) },
    ];
    const said: string[] = [];
    const installed = findOrInstallBrowser(empty, installers, [], (line) => said.push(line));
    assert.deepEqual(calls, ['first', 'second'], 'installers run in order, and stop once a browser appears');
    assert.equal(installed.executable, join(empty.playwrightCache, 'chromium-1300/chrome-linux64/chrome'));
    assert.match(installed.source, /installed by second$/);
    assert.equal(said.length, 2, 'each install attempt is announced');
  });

  it('tries the PATH names in order (chromium, chromium-browser, google-chrome), each through every folder', () => {
    const first = folder();
    const second = folder();
    fakeBrowser(join(first, 'google-chrome'));
    fakeBrowser(join(first, 'chromium-browser'));
    const chromium = fakeBrowser(join(second, 'chromium'));
    const path = `${first}:${second}`;
    const cache = folder();
    assert.equal(findBrowser({ path, playwrightCache: cache })?.executable, chromium);
    rmSync(chromium);
    assert.equal(findBrowser({ path, playwrightCache: cache })?.executable, join(first, 'chromium-browser'));
    rmSync(join(first, 'chromium-browser'));
    assert.deepEqual(findBrowser({ path, playwrightCache: cache }), {
      executable: join(first, 'google-chrome'),
      source: 'google-chrome on PATH',
    });
  });

  it('skips what cannot run: a file without the executable bit, a folder, a broken symlink', () => {
    const bin = folder();
    writeFileSync(join(bin, 'chromium'), 'not a program');
    mkdirSync(join(bin, 'chromium-browser'));
    symlinkSync(join(bin, 'nowhere'), join(bin, 'google-chrome'));
    const later = folder();
    const chrome = fakeBrowser(join(later, 'google-chrome'));
    assert.equal(findBrowser({ path: `${bin}:${later}`, playwrightCache: folder() })?.executable, chrome);
  });

  it('prefers the newest full Chromium in Playwright’s cache, then the headless shell; older layouts count', () => {
    const cache = folder();
    fakeBrowser(join(cache, 'chromium_headless_shell-1300/chrome-headless-shell-linux64/chrome-headless-shell'));
    fakeBrowser(join(cache, 'chromium-1100/chrome-linux/chrome'));
    const newest = fakeBrowser(join(cache, 'chromium-1200/chrome-linux64/chrome'));
    mkdirSync(join(cache, 'chromium-1400')); // an interrupted download: no executable
    mkdirSync(join(cache, 'chromium-tip-of-tree-1500'));
    const places = { path: folder(), playwrightCache: cache };
    assert.equal(findBrowser(places)?.executable, newest);
    rmSync(join(cache, 'chromium-1200'), { recursive: true });
    assert.equal(findBrowser(places)?.executable, join(cache, 'chromium-1100/chrome-linux/chrome'));
    rmSync(join(cache, 'chromium-1100'), { recursive: true });
    assert.equal(
      findBrowser(places)?.executable,
      join(cache, 'chromium_headless_shell-1300/chrome-headless-shell-linux64/chrome-headless-shell'),
    );
    assert.equal(findBrowser({ path: folder(), playwrightCache: join(cache, 'missing') }), undefined);
  });

  it('a missing ATRIUM_CHROMIUM is an error naming the variable, never a fallback', () => {
    const bin = folder();
    fakeBrowser(join(bin, 'chromium'));
    const missing = join(folder(), 'chromium');
    assert.throws(
      () => findBrowser({ chromium: missing, path: bin, playwrightCache: folder() }),
      (error: unknown) =>
        error instanceof BrowserNotFound && error.message.startsWith(`ATRIUM_CHROMIUM: ${missing} does not exist.`),
    );
    const problem = (() => {
      try {
        readTestRunnerConfig({ ATRIUM_CHROMIUM: missing, PATH: bin }, ROOT);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    assert.ok(problem instanceof ConfigError);
    assert.equal(problem.problems.length, 1);
    assert.match(problem.problems[0] as string, /^ATRIUM_CHROMIUM: .* does not exist\. Point it at a Chromium/);
    assert.throws(
      () => readTestRunnerConfig({ ATRIUM_CHROMIUM: folder() }, ROOT),
      (error: unknown) => error instanceof ConfigError && /ATRIUM_CHROMIUM: .* is not a file/.test(error.message),
    );
  });

  it('a symlinked ATRIUM_CHROMIUM is followed, and the link itself is what the tests launch', () => {
    const real = fakeBrowser(join(folder(), 'chrome-linux64/chrome'), 'Chromium 9.9');
    const link = join(folder(), 'chromium-link');
    symlinkSync(real, link);
    const config = readTestRunnerConfig({ ATRIUM_CHROMIUM: link, PATH: '' }, ROOT);
    assert.equal(config.browser.chromium, link);
    const found = findBrowser(config.browser);
    assert.deepEqual(found, { executable: link, source: 'ATRIUM_CHROMIUM' });
    assert.equal(browserVersion(link), 'Chromium 9.9');
  });

  it('when nothing is found and every installer fails, says what was tried and the exact commands', () => {
    const places = { path: folder(), playwrightCache: folder() };
    const installers: BrowserInstaller[] = [
      { command: 'apt-get install chromium', install: () => 'exit 100' },
      { command: 'npx playwright-core install chromium', install: () => undefined },
    ];
    const asRoot = installAdvice({ root: true, osRelease: DEBIAN });
    assert.throws(
      () => findOrInstallBrowser(places, installers, asRoot, () => {}),
      (error: unknown) => {
        assert.ok(error instanceof BrowserNotFound);
        assert.match(error.message, /tried apt-get install chromium: failed \(exit 100\)/);
        assert.match(error.message, /tried npx playwright-core install chromium: finished, but no browser appeared/);
        assert.match(error.message, /\n {2}apt-get install chromium /);
        assert.match(error.message, /\n {2}npx playwright-core install chromium /);
        assert.match(error.message, /\n {2}export ATRIUM_CHROMIUM=/);
        return true;
      },
    );
    assert.match(installAdvice({ root: false, osRelease: DEBIAN })[0] as string, /^sudo apt-get install chromium/);
    assert.doesNotMatch(installAdvice({ root: false, osRelease: 'ID=fedora\n' }).join('\n'), /apt-get/);
  });

  it('installs with apt only as root on Debian or Ubuntu, and with Playwright’s installer everywhere', () => {
    const commands = (root: boolean, osRelease: string) =>
      browserInstallers({ root, osRelease }, '/x/cli.js').map((installer) => installer.command);
    const ubuntu = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
    const mint = 'ID=linuxmint\nID_LIKE="ubuntu debian"\n';
    assert.deepEqual(commands(true, DEBIAN), ['apt-get install chromium', 'npx playwright-core install chromium']);
    assert.deepEqual(commands(true, ubuntu), ['apt-get install chromium', 'npx playwright-core install chromium']);
    assert.deepEqual(commands(false, DEBIAN), ['npx playwright-core install chromium']);
    assert.deepEqual(commands(true, 'ID="fedora"\n'), ['npx playwright-core install chromium']);
    assert.deepEqual(commands(true, ''), ['npx playwright-core install chromium']);
    assert.ok(isDebianLike(mint));
    assert.ok(!isDebianLike('ID=arch\nID_LIKE=\n'));
  });
});

describe('npm test with a wrong ATRIUM_CHROMIUM', () => {
  it('stops at once, naming the variable, before starting anything', () => {
    const missing = join(folder(), 'chromium');
    // This run's own settings (ATRIUM_TEST_POSTGRES_URL and the like) stay out of it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ATRIUM_')));
    const started = Date.now();
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/test.ts'), 'tests/unit/find-browser.test.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...env, ATRIUM_CHROMIUM: missing },
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr.trim(),
      `npm test: Invalid configuration:\n  - ATRIUM_CHROMIUM: ${missing} does not exist. ` +
        'Point it at a Chromium or Chrome executable, or unset it to let npm test find or install one.',
    );
    assert.equal(run.stdout, '', 'nothing chosen, built or started');
    assert.ok(Date.now() - started < 30_000);
  });
});
