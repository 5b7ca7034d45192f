// `npm run build:workflows -- <dir>`: writes the worker's workflow bundles (every family, with
// and without tracing) into <dir> (default build/workflows), for a worker started with
// WORKER_WORKFLOW_BUNDLE_DIR=<dir>. The Dockerfile runs it, so a worker in a container starts
// without bundling and with a read-only file system.
import { resolve } from 'node:path';
import { writePrebuiltBundles } from '../worker/workflow-bundle.ts';

const dir = resolve(process.argv[2] ?? 'build/workflows');
const written = await writePrebuiltBundles(dir);
console.log(`Workflow bundles written: ${written.join(', ')}`);
