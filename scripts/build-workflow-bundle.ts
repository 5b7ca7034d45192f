// `npm run build:workflows -- <dir> [--without-tracing]`: writes the worker's workflow bundles
// (every family, with and without tracing) into <dir> (default build/workflows), for a worker
// started with WORKER_WORKFLOW_BUNDLE_DIR=<dir>. The Dockerfile runs it, so a worker in a
// container starts without bundling and with a read-only file system; `npm test` runs it once
// per run, so no test's worker bundles (--without-tracing when no selected test traces).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePrebuiltBundles } from '../worker/workflow-bundle.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'without-tracing': { type: 'boolean', default: false } },
});
const dir = resolve(positionals[0] ?? 'build/workflows');
const written = await writePrebuiltBundles(dir, undefined, { withTracing: !values['without-tracing'] });
console.log(`Workflow bundles written: ${written.join(', ')}`);
