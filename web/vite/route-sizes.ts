// What each page of the built portal makes the browser fetch on a cold load, and its budget.
//
// React Router writes the browser's route manifest into web/build/client/assets/manifest-*.js:
// for every route, its module, the modules that module imports and its stylesheets; for the
// app, the entry module and its imports. A page's first load is the manifest, the entry and
// every route from the root down to the page (module, imports, stylesheets), each file once.
// Its size "as transferred" is the brotli copy `npm run build` writes beside each file (what
// api/portal.ts sends a browser that accepts brotli), or the file itself without one.
// Budgets (kB of JavaScript + CSS, 1 kB = 1000 bytes) are in web/route-budgets.json.
//
// The root route loads the signed-in frame (navigation, user menu) lazily
// (web/app/components/shell/AppFrame.tsx): the manifest does not list it, so its files come
// from web/build/lazy-chunks.json (web/vite/first-load-chunks.ts) and count for every page
// but those the budgets file names as `signedOut` (pages that send a signed-in person away).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LAZY_CHUNKS_FILE } from './first-load-chunks.ts';

/** The lazily loaded signed-in frame, as web/vite/first-load-chunks.ts keys it. */
export const SIGNED_IN_FRAME = 'app/components/shell/signed-in.ts';

interface ManifestRoute {
  id: string;
  parentId?: string;
  path?: string;
  index?: boolean;
  hasDefaultExport: boolean;
  module: string;
  imports?: string[];
  css?: string[];
}

export interface ClientManifest {
  /** `/assets/manifest-<hash>.js`: the browser loads it too. */
  url: string;
  entry: { module: string; imports: string[]; css?: string[] };
  routes: Record<string, ManifestRoute>;
}

export interface RouteSize {
  id: string;
  /** The page's URL pattern, e.g. `/tenants/:slug/members`. */
  path: string;
  /** The files of a cold load, each once. */
  files: string[];
  rawBytes: number;
  gzipBytes: number;
  brotliBytes: number;
}

export interface Budgets {
  /** kB for a page not named in `routes`. */
  default: number;
  /** kB per route id (`routes/auth/login`). */
  routes: Record<string, number>;
  /** Route ids of pages only a signed-out person sees: they do not load the signed-in frame. */
  signedOut: string[];
}

export interface BudgetCheck extends RouteSize {
  budgetKb: number;
  over: boolean;
}

const BUDGETS_FILE = new URL('../route-budgets.json', import.meta.url);

export function readBudgets(file: URL | string = BUDGETS_FILE): Budgets {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Budgets>;
  const routes = parsed.routes ?? {};
  if (typeof parsed.default !== 'number' || !(parsed.default > 0))
    throw new Error(`${String(file)}: "default" must be a positive number of kB`);
  for (const [id, kb] of Object.entries(routes))
    if (typeof kb !== 'number' || !(kb > 0))
      throw new Error(`${String(file)}: routes["${id}"] must be a positive number of kB`);
  const signedOut = parsed.signedOut ?? [];
  if (!Array.isArray(signedOut) || signedOut.some((id) => typeof id !== 'string'))
    throw new Error(`${String(file)}: "signedOut" must be a list of route ids`);
  return { default: parsed.default, routes, signedOut };
}

/** The manifest of the client build in `clientDirectory` (web/build/client). */
export function readClientManifest(clientDirectory: string): ClientManifest {
  const assets = join(clientDirectory, 'assets');
  const candidates = existsSync(assets) ? readdirSync(assets).filter((file) => /^manifest-[\w-]+\.js$/.test(file)) : [];
  if (candidates.length === 0)
    throw new Error(`No React Router manifest in ${assets}: build the portal first (npm run build).`);
  // Newest first, should an old build have been left beside it.
  const newest = candidates
    .map((file) => ({ file, mtime: statSync(join(assets, file)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)[0]!.file;
  const source = readFileSync(join(assets, newest), 'utf8');
  const manifest = JSON.parse(source.slice(source.indexOf('{'), source.lastIndexOf('}') + 1)) as Omit<
    ClientManifest,
    'url'
  >;
  return { ...manifest, url: `/assets/${newest}` };
}

/**
 * Every page's cold load. Routes without a default export render no page (resource routes,
 * redirects such as /logout) and are left out.
 */
export function routeSizes(
  clientDirectory: string,
  signedOut: readonly string[],
  manifest = readClientManifest(clientDirectory),
): RouteSize[] {
  const lazyFile = join(clientDirectory, '..', LAZY_CHUNKS_FILE);
  const lazy = existsSync(lazyFile) ? (JSON.parse(readFileSync(lazyFile, 'utf8')) as Record<string, string[]>) : {};
  const signedInFrame = lazy[SIGNED_IN_FRAME];
  if (!signedInFrame)
    throw new Error(`${lazyFile} does not list ${SIGNED_IN_FRAME}: build the portal again (npm run build).`);
  const sizeCache = new Map<string, { raw: number; gzip: number; brotli: number }>();
  const sizeOf = (url: string) => {
    let size = sizeCache.get(url);
    if (!size) {
      const file = join(clientDirectory, url);
      const raw = statSync(file).size;
      const compressed = (suffix: string) => (existsSync(file + suffix) ? statSync(file + suffix).size : raw);
      size = { raw, gzip: compressed('.gz'), brotli: compressed('.br') };
      sizeCache.set(url, size);
    }
    return size;
  };

  return Object.values(manifest.routes)
    .filter((route) => route.hasDefaultExport)
    .map((route) => {
      const chain: ManifestRoute[] = [];
      for (let r: ManifestRoute | undefined = route; r; r = r.parentId ? manifest.routes[r.parentId] : undefined)
        chain.unshift(r);
      const files = new Set([
        manifest.url,
        manifest.entry.module,
        ...manifest.entry.imports,
        ...(manifest.entry.css ?? []),
      ]);
      for (const r of chain) for (const file of [r.module, ...(r.imports ?? []), ...(r.css ?? [])]) files.add(file);
      if (!signedOut.includes(route.id)) for (const file of signedInFrame) files.add(file);
      // React Router marks stylesheets that lazily loaded chunks share with `#`: the same file.
      for (const file of files) {
        if (!file.includes('#')) continue;
        files.delete(file);
        files.add(file.replace(/#.*$/, ''));
      }
      const sizes = [...files].map(sizeOf);
      const sum = (key: 'raw' | 'gzip' | 'brotli') => sizes.reduce((total, size) => total + size[key], 0);
      return {
        id: route.id,
        path: `/${chain
          .map((r) => r.path ?? '')
          .filter(Boolean)
          .join('/')}`,
        files: [...files],
        rawBytes: sum('raw'),
        gzipBytes: sum('gzip'),
        brotliBytes: sum('brotli'),
      };
    });
}

/** Each page against its budget (brotli bytes, as a browser that accepts brotli receives them). */
export function checkBudgets(sizes: readonly RouteSize[], budgets: Budgets): BudgetCheck[] {
  return sizes.map((size) => {
    const budgetKb = budgets.routes[size.id] ?? budgets.default;
    return { ...size, budgetKb, over: size.brotliBytes > budgetKb * 1000 };
  });
}

const kb = (bytes: number) => (bytes / 1000).toFixed(1);

/** The table `npm run build` prints. */
export function formatBudgetTable(checks: readonly BudgetCheck[]): string {
  const rows = [
    ['page', 'route', 'files', 'raw kB', 'gzip kB', 'brotli kB', 'budget kB', ''],
    ...checks.map((check) => [
      check.path,
      check.id,
      String(check.files.length),
      kb(check.rawBytes),
      kb(check.gzipBytes),
      kb(check.brotliBytes),
      String(check.budgetKb),
      check.over ? 'OVER BUDGET' : 'ok',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column >= 2 && column <= 6 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
