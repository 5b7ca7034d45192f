// Runs the real worker and API entry points as child processes, the way production does,
// so tests can SIGKILL them. Each child's output is kept for failure messages.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Set by `npm test` (scripts/test-workflow-bundles.ts). Read here rather than through
// tests/support/env.ts, whose parse demands what only `npm test` sets: the benchmarks
// (bench/support/platform.ts) start the worker and the API through this module too.
const WORKFLOW_BUNDLE_DIR = process.env.ATRIUM_TEST_WORKFLOW_BUNDLE_DIR ?? '';

export interface ChildHandle {
  process: ChildProcess;
  output: () => string;
  /** Sends SIGTERM without waiting. */
  terminate(): void;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process gets no chance to clean up. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env: Record<string, string>;
  /** Resolves when a log line matches; its match is returned. */
  readyWhen: RegExp;
  timeoutMs?: number;
}

export async function startNodeProcess(
  entry: string,
  { env, readyWhen, timeoutMs = 120_000 }: StartOptions,
): Promise<ChildHandle & { ready: RegExpMatchArray }> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    LOG_LEVEL: 'info',
    // Test processes run side by side: the API's metrics on a free port, the worker's off
    // unless a test asks for them (tests/integration/metrics.test.ts).
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: 'off',
    // Workers load the run's prebuilt workflow bundles rather than each bundling at start;
    // a test of bundling sets its own (or '' for none).
    ...(entry === ENTRY_POINTS.worker && WORKFLOW_BUNDLE_DIR
      ? { WORKER_WORKFLOW_BUNDLE_DIR: WORKFLOW_BUNDLE_DIR }
      : {}),
    ...env,
  };
  if (childEnv.WORKER_WORKFLOW_BUNDLE_DIR === '') delete childEnv.WORKER_WORKFLOW_BUNDLE_DIR;
  const child = spawn(process.execPath, [entry], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );

  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that never became ready is nobody's to stop: left running, it would keep
      // the test file alive after its failure, and the run with it.
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not become ready in ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    let matched = false;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      // Once ready, only keep the output: matching the whole of it on every chunk would
      // cost this process more and more under load (benchmarks log thousands of lines).
      if (matched) return;
      const match = output.match(readyWhen);
      if (match) {
        matched = true;
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output.slice(-4000)}`));
    });
  });

  const running = () => child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (running()) child.kill(name);
    await exited;
  };
  return {
    process: child,
    ready,
    output: () => output,
    exited,
    terminate: () => {
      if (running()) child.kill('SIGTERM');
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
}

export const ENTRY_POINTS = {
  worker: 'worker/main.ts',
  api: 'api/main.ts',
} as const;
