// A cold load of one portal page in Chromium, and what it transferred: the bytes of every
// script and stylesheet as they came over the wire (compressed when the server compressed
// them), the document, and the encodings seen. Shared by tests/e2e/first-load.test.ts and
// `npm run bench -- first-load` (bench/first-load.ts).
// (No import of ./browser.ts: it reads the test run's environment, which the bench has not.)
import type { Browser, BrowserContext, BrowserContextOptions, Request } from 'playwright-core';

export interface ColdLoad {
  url: string;
  scripts: { files: number; bytes: number };
  styles: { files: number; bytes: number };
  document: { bytes: number; encoding: string | undefined };
  /** Each script and stylesheet with its Content-Encoding (`identity` when none). */
  assets: Array<{ url: string; encoding: string }>;
}

/**
 * Opens `path` in a new browser context (empty cache) and waits until the network is quiet,
 * so the chunks loaded after hydration (the signed-in frame) are counted too.
 * `storageState` signs the context in (see signedInState).
 */
export async function measureColdLoad(
  browser: Browser,
  baseURL: string,
  path: string,
  storageState?: BrowserContextOptions['storageState'],
): Promise<ColdLoad> {
  const context = await browser.newContext({ baseURL, storageState });
  try {
    const page = await context.newPage();
    const finished: Array<Promise<{ request: Request; bodyBytes: number; encoding: string | undefined }>> = [];
    page.on('requestfinished', (request) => {
      finished.push(
        (async () => {
          const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
          return { request, bodyBytes: sizes.responseBodySize, encoding: response?.headers()['content-encoding'] };
        })(),
      );
    });
    const response = await page.goto(path, { waitUntil: 'networkidle' });
    if (!response?.ok()) throw new Error(`${path} answered ${response?.status()}`);
    if (new URL(page.url()).pathname !== new URL(path, baseURL).pathname)
      throw new Error(`${path} went on to ${page.url()}: not the page to measure`);
    const results = await Promise.all(finished);
    const load: ColdLoad = {
      url: page.url(),
      scripts: { files: 0, bytes: 0 },
      styles: { files: 0, bytes: 0 },
      document: { bytes: 0, encoding: undefined },
      assets: [],
    };
    for (const { request, bodyBytes, encoding } of results) {
      const type = request.resourceType();
      if (type === 'document' && request.url() === response.url()) load.document = { bytes: bodyBytes, encoding };
      const bucket = type === 'script' ? load.scripts : type === 'stylesheet' ? load.styles : undefined;
      if (!bucket) continue;
      bucket.files += 1;
      bucket.bytes += bodyBytes;
      load.assets.push({ url: request.url(), encoding: encoding ?? 'identity' });
    }
    return load;
  } finally {
    await context.close();
  }
}

/** JavaScript + CSS of a cold load, in bytes as transferred. */
export const firstLoadBytes = (load: ColdLoad) => load.scripts.bytes + load.styles.bytes;

/** Signs in through the portal's login page and returns the session, for measureColdLoad. */
export async function signedInState(
  browser: Browser,
  baseURL: string,
  email: string,
  password: string,
): Promise<Awaited<ReturnType<BrowserContext['storageState']>>> {
  const context = await browser.newContext({ baseURL });
  try {
    const page = await context.newPage();
    await page.goto('/login');
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByRole('textbox', { name: 'Email' }).fill(email);
    await form.getByRole('textbox', { name: 'Password' }).fill(password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    return await context.storageState();
  } finally {
    await context.close();
  }
}
