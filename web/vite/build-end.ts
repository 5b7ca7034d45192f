// What `npm run build` (react-router build) does once both bundles are written:
//
// 1. Writes a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside every text
//    file of the client build (JavaScript, CSS, SVG, JSON, …), unless the copy would not be
//    smaller. api/portal.ts serves the copy the browser accepts; compressing once here, at the
//    highest levels, costs the server nothing per request.
// 2. Prints every page's first load (web/vite/route-sizes.ts) and fails the build when a page
//    is over its budget in web/route-budgets.json.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { BudgetCheck } from './route-sizes.ts';
import { checkBudgets, formatBudgetTable, readBudgets, routeSizes } from './route-sizes.ts';

const COMPRESSIBLE = /\.(js|mjs|css|svg|json|html|txt|xml|map|webmanifest)$/;

/** Writes `<file>.br` and `<file>.gz` for every compressible file under `directory`. */
export function precompress(directory: string): { files: number; rawBytes: number; brotliBytes: number } {
  const totals = { files: 0, rawBytes: 0, brotliBytes: 0 };
  for (const entry of readdirSync(directory, { recursive: true, encoding: 'utf8' })) {
    const file = join(directory, entry);
    if (!COMPRESSIBLE.test(file) || !statSync(file).isFile()) continue;
    const content = readFileSync(file);
    const brotli = brotliCompressSync(content, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    });
    const gzip = gzipSync(content, { level: constants.Z_BEST_COMPRESSION });
    if (brotli.length < content.length) writeFileSync(`${file}.br`, brotli);
    if (gzip.length < content.length) writeFileSync(`${file}.gz`, gzip);
    totals.files += 1;
    totals.rawBytes += content.length;
    totals.brotliBytes += Math.min(brotli.length, content.length);
  }
  return totals;
}

/** React Router's buildEnd hook (web/react-router.config.ts). */
export function portalBuildEnd(clientDirectory: string): BudgetCheck[] {
  const compressed = precompress(clientDirectory);
  console.log(
    `\nCompressed ${compressed.files} files: ${(compressed.rawBytes / 1000).toFixed(1)} kB → ${(compressed.brotliBytes / 1000).toFixed(1)} kB brotli (and a gzip copy of each).`,
  );
  const budgets = readBudgets();
  const checks = checkBudgets(routeSizes(clientDirectory, budgets.signedOut), budgets);
  console.log(
    '\nFirst load per page: JavaScript + CSS of a cold load (budgets: web/route-budgets.json; 1 kB = 1000 bytes)\n',
  );
  console.log(formatBudgetTable(checks));
  const over = checks.filter((check) => check.over);
  if (over.length > 0) {
    throw new Error(
      `The portal is over its first-load budget: ${over
        .map((check) => `${check.path} ${(check.brotliBytes / 1000).toFixed(1)} kB > ${check.budgetKb} kB`)
        .join(
          '; ',
        )}. Make the page load less (a lazy import, a lighter component), or raise its budget in web/route-budgets.json with the reason in the commit.`,
    );
  }
  return checks;
}
