// The per-page first-load sizes and budgets of the portal build (web/vite/route-sizes.ts), on a
// small build written here: which files a page's cold load counts, the brotli copy standing in
// for a file, the signed-in frame counted for every page but the signed-out ones, and a page
// over its budget. (tests/e2e/first-load.test.ts checks the real build and a real browser.)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LAZY_CHUNKS_FILE } from '../../web/vite/first-load-chunks.ts';
import { precompress } from '../../web/vite/build-end.ts';
import {
  checkBudgets,
  formatBudgetTable,
  readBudgets,
  routeSizes,
  SIGNED_IN_FRAME,
} from '../../web/vite/route-sizes.ts';

describe('portal first-load sizes and budgets', () => {
  let build: string;
  let client: string;
  const write = (file: string, bytes: number) => writeFileSync(join(client, file), 'x'.repeat(bytes));

  before(() => {
    build = mkdtempSync(join(tmpdir(), 'atrium-route-sizes-'));
    client = join(build, 'client');
    mkdirSync(join(client, 'assets'), { recursive: true });
    write('assets/entry.js', 1000);
    write('assets/framework.js', 50_000);
    write('assets/root.js', 2000);
    write('assets/root.css', 3000);
    write('assets/login.js', 500);
    write('assets/members.js', 700);
    write('assets/Table.js', 4000);
    write('assets/Table.css', 600);
    write('assets/signed-in.js', 900);
    const manifest = {
      entry: { module: '/assets/entry.js', imports: ['/assets/framework.js'], css: [] },
      routes: {
        root: {
          id: 'root',
          path: '',
          hasDefaultExport: true,
          module: '/assets/root.js',
          imports: ['/assets/framework.js'],
          css: ['/assets/root.css'],
        },
        'routes/home': {
          id: 'routes/home',
          parentId: 'root',
          index: true,
          hasDefaultExport: false,
          module: '/assets/root.js',
        },
        'routes/auth/login': {
          id: 'routes/auth/login',
          parentId: 'root',
          path: 'login',
          hasDefaultExport: true,
          module: '/assets/login.js',
          imports: [],
          css: [],
        },
        'routes/tenants/members': {
          id: 'routes/tenants/members',
          parentId: 'root',
          path: 'tenants/:slug/members',
          hasDefaultExport: true,
          module: '/assets/members.js',
          imports: ['/assets/Table.js', '/assets/framework.js'],
          // React Router marks a stylesheet that a lazy chunk shares with `#`: the same file.
          css: ['/assets/Table.css', '/assets/root.css#'],
        },
      },
      url: '/assets/manifest-1.js',
      version: '1',
    };
    writeFileSync(join(client, 'assets/manifest-1.js'), `window.__reactRouterManifest=${JSON.stringify(manifest)};`);
    writeFileSync(
      join(build, LAZY_CHUNKS_FILE),
      JSON.stringify({ [SIGNED_IN_FRAME]: ['/assets/signed-in.js', '/assets/framework.js'] }),
    );
  });
  after(() => rmSync(build, { recursive: true, force: true }));

  it("counts each file of a page's cold load once: manifest, entry, root and the page, plus the signed-in frame", () => {
    const sizes = routeSizes(client, ['routes/auth/login']);
    assert.deepEqual(
      sizes.map((size) => size.id),
      ['root', 'routes/auth/login', 'routes/tenants/members'],
      'routes without a page (no default export) are left out',
    );
    const login = sizes.find((size) => size.id === 'routes/auth/login')!;
    assert.equal(login.path, '/login');
    assert.deepEqual(login.files.sort(), [
      '/assets/entry.js',
      '/assets/framework.js',
      '/assets/login.js',
      '/assets/manifest-1.js',
      '/assets/root.css',
      '/assets/root.js',
    ]);
    const members = sizes.find((size) => size.id === 'routes/tenants/members')!;
    assert.equal(members.path, '/tenants/:slug/members');
    assert.ok(members.files.includes('/assets/signed-in.js'), 'a signed-in page loads the signed-in frame');
    assert.equal(members.files.filter((file) => file.startsWith('/assets/root.css')).length, 1);
    assert.equal(members.files.length, 9);
    // Without compressed copies every size is the file's own.
    assert.equal(members.brotliBytes, members.rawBytes);
  });

  it('sizes a page by the brotli copies once the build wrote them, and fails the pages over budget', () => {
    const compressed = precompress(client);
    assert.ok(compressed.files >= 10);
    const [root, login, members] = routeSizes(client, ['routes/auth/login']);
    assert.ok(login!.brotliBytes < login!.rawBytes / 10, 'repetitive test files shrink to almost nothing');
    assert.ok(login!.gzipBytes < login!.rawBytes / 10);

    const checks = checkBudgets([root!, login!, members!], {
      default: 250,
      routes: { 'routes/auth/login': login!.brotliBytes / 1000 - 0.001 },
      signedOut: ['routes/auth/login'],
    });
    assert.deepEqual(
      checks.map((check) => [check.id, check.over]),
      [
        ['root', false],
        ['routes/auth/login', true],
        ['routes/tenants/members', false],
      ],
    );
    const table = formatBudgetTable(checks);
    assert.match(table, /^\/login\s+routes\/auth\/login\s.*OVER BUDGET$/m);
    assert.match(table, /^\/tenants\/:slug\/members\s.*\s250\s+ok$/m);
  });

  it("reads the project's budgets: the sign-in page at 153 kB, every other page at 250 kB", () => {
    const budgets = readBudgets();
    assert.equal(budgets.routes['routes/auth/login'], 153);
    assert.equal(budgets.default, 250);
    assert.ok(budgets.signedOut.includes('routes/auth/login'));
    const file = join(build, 'bad-budgets.json');
    writeFileSync(file, JSON.stringify({ default: 'big', routes: {} }));
    assert.throws(() => readBudgets(file), /"default" must be a positive number of kB/);
  });
});
