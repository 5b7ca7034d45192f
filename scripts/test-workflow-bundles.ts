// The workers of a test run load prebuilt workflow bundles (WORKER_WORKFLOW_BUNDLE_DIR) instead
// of each bundling at start: bundling is 10–20 s of CPU and about 900 MB per worker, paid by
// every platform a test file starts. `npm test` builds them once, beside its other start-up
// steps, into a folder of its own that it removes when the run ends. Built from the checkout
// as it is, so they are never stale.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(new URL('./build-workflow-bundle.ts', import.meta.url));

export interface WorkflowBundleBuild {
  /** The folder the workers are given. */
  dir: string;
  /** Settles when the bundles are written; rejects with the bundler's output when it failed. */
  done: Promise<void>;
  /** Stops a build still running and removes the folder. */
  remove(): void;
}

/** Which test files start a worker: everything but the unit tests. */
export function startsWorkers(file: string): boolean {
  return !file.startsWith('tests/unit/');
}

export function startWorkflowBundleBuild(options: { withTracing: boolean }): WorkflowBundleBuild {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-test-workflow-bundles-'));
  const args = [BUILD_SCRIPT, dir, ...(options.withTracing ? [] : ['--without-tracing'])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`bundling the workflows failed (${signal ?? `exit ${code}`}):\n${output.slice(-4000)}`));
    });
  });
  // A rejection nobody awaits yet (the run is still starting) must not end the process.
  done.catch(() => {});
  return {
    dir,
    done,
    remove: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
