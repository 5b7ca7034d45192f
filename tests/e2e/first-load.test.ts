// The portal's first load, compressed (RESPONSE_COMPRESSION=on, the default):
// - a built asset answers with its prebuilt brotli or gzip copy, as the client accepts, with
//   the asset's own Content-Type and Vary: Accept-Encoding (`curl -H 'accept-encoding: br'`);
// - a page answers gzip- or brotli-encoded;
// - every page of the build is within its budget (web/route-budgets.json): the check CI runs;
// - a cold load in Chromium of the sign-in page and of a tenant page transfers no more
//   JavaScript + CSS than their budgets, every script and stylesheet brotli-encoded.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { checkBudgets, readBudgets, readClientManifest, routeSizes } from '../../web/vite/route-sizes.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { launchChromium } from '../support/browser.ts';
import type { ColdLoad } from '../support/first-load.ts';
import { firstLoadBytes, measureColdLoad, signedInState } from '../support/first-load.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

const CLIENT_BUILD = fileURLToPath(new URL('../../web/build/client/', import.meta.url));

/** A GET with node:http: it asks for no encoding unless told, and undoes none. */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: IncomingMessage['headers']; body: Buffer; status: number }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Assets that did not come brotli-encoded although the build has a brotli copy of them. */
const notBrotli = (assets: ColdLoad['assets']) =>
  assets
    .filter(({ encoding }) => encoding !== 'br')
    .map(({ url }) => new URL(url).pathname)
    .filter((path) => existsSync(`${CLIENT_BUILD}${path}.br`));

describe('portal first load', () => {
  let platform: Platform;
  let browser: Browser;
  const budgets = readBudgets();

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('answers an asset with its brotli or gzip copy as accepted, its own type, and Vary', async () => {
    const manifest = readClientManifest(CLIENT_BUILD);
    // The largest script every page loads (the framework chunk).
    const script = [manifest.entry.module, ...manifest.entry.imports]
      .map((file) => ({ file, size: readFileSync(`${CLIENT_BUILD}${file}`).length }))
      .sort((a, b) => b.size - a.size)[0]!.file;
    const original = readFileSync(`${CLIENT_BUILD}${script}`);
    const url = new URL(script, platform.baseUrl).toString();

    const brotli = await get(url, { 'accept-encoding': 'br' });
    assert.equal(brotli.status, 200);
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.match(String(brotli.headers['content-type']), /^(text|application)\/javascript/);
    assert.match(String(brotli.headers.vary), /Accept-Encoding/i);
    assert.match(String(brotli.headers['cache-control']), /immutable/);
    assert.ok(brotli.body.length < original.length / 2, `${brotli.body.length} of ${original.length} bytes`);
    assert.ok(brotliDecompressSync(brotli.body).equals(original), 'the brotli copy is the file');

    const gzip = await get(url, { 'accept-encoding': 'gzip, deflate' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(gzip.body).equals(original), 'the gzip copy is the file');

    const plain = await get(url, {});
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers.vary), /Accept-Encoding/i, 'caches keep the encodings apart');
    assert.ok(plain.body.equals(original));

    const stylesheet = Object.values(manifest.routes)
      .flatMap((route) => route.css ?? [])[0]!
      .replace(/#.*$/, '');
    const css = await get(new URL(stylesheet, platform.baseUrl).toString(), { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(css.headers['content-encoding'], 'br');
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers a page compressed', async () => {
    const page = await get(new URL('/login', platform.baseUrl).toString(), { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-encoding']), /^(br|gzip)$/);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const html = (
      page.headers['content-encoding'] === 'br' ? brotliDecompressSync(page.body) : gunzipSync(page.body)
    ).toString();
    assert.match(html, /<form[^>]*aria-label="Sign in"/);

    const gzipOnly = await get(new URL('/login', platform.baseUrl).toString(), { 'accept-encoding': 'gzip' });
    assert.equal(gzipOnly.headers['content-encoding'], 'gzip');
  });

  it('keeps every page of the build within its budget', () => {
    const checks = checkBudgets(routeSizes(CLIENT_BUILD, budgets.signedOut), budgets);
    assert.ok(checks.some((check) => check.id === 'routes/auth/login'));
    assert.ok(checks.some((check) => check.id === 'routes/tenants/members'));
    assert.deepEqual(
      checks
        .filter((check) => check.over)
        .map((check) => `${check.path}: ${check.brotliBytes} bytes > ${check.budgetKb} kB`),
      [],
    );
  });

  it('transfers the sign-in page and a tenant page within their budgets on a cold load', async () => {
    const signIn = await measureColdLoad(browser, platform.baseUrl, '/login');
    assert.ok(signIn.scripts.files > 0 && signIn.styles.files > 0);
    assert.deepEqual(
      notBrotli(signIn.assets),
      [],
      'every script and stylesheet with a brotli copy came brotli-encoded',
    );
    assert.ok(
      firstLoadBytes(signIn) <= budgets.routes['routes/auth/login']! * 1000,
      `sign-in page: ${firstLoadBytes(signIn)} bytes of JavaScript + CSS`,
    );

    const slug = uniqueSlug('firstload');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'First Load', plan: 'team', ownerEmail: 'owner@firstload.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitForOperation(platform, created.body.operation.id)).status, 'completed');
    const session = await signedInState(browser, platform.baseUrl, platform.admin.email, platform.admin.password);
    const members = await measureColdLoad(browser, platform.baseUrl, `/tenants/${slug}/members`, session);
    assert.deepEqual(notBrotli(members.assets), []);
    assert.ok(
      firstLoadBytes(members) <= (budgets.routes['routes/tenants/members'] ?? budgets.default) * 1000,
      `members page: ${firstLoadBytes(members)} bytes of JavaScript + CSS`,
    );
    assert.ok(firstLoadBytes(members) > firstLoadBytes(signIn), 'the signed-in frame and the table load too');
  });
});
