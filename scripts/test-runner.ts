// Runs test files in `slots` places at once (scripts/test-queue.ts picks each next file), one
// Node test runner per file. A file's output is held until it ends, then printed whole under
// its name, so files running side by side never interleave. At the end: the totals, the
// failing tests again (each under its file), and the slowest files. Each file runs in a process
// group of its own: a file that outlives `fileTimeoutMs` (a hang: a promise nothing settles, a
// child process nobody stops) is stopped with everything it started and counted as failed, and
// whatever a finished file left running (a worker it never stopped) is killed with its group.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { TestQueue } from './test-queue.ts';

export interface FileResult {
  file: string;
  code: number;
  ms: number;
  output: string;
}

export interface TestRun {
  /** Resolves with every file's result once the queue is empty (or the run was stopped). */
  done: Promise<FileResult[]>;
  /** Stops the running files (SIGINT, then SIGKILL after 15 s) and starts no more. */
  stop(): Promise<void>;
}

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
const SLOWEST_SHOWN = 15;

export function runTestFiles(
  files: string[],
  options: {
    slots: number;
    cwd: string;
    env: NodeJS.ProcessEnv;
    nodeArgs: string[];
    fileTimeoutMs: number;
    /** Where each file's output goes when it ends (standard output). */
    print?: (text: string) => void;
    /**
     * Files that wait for `opened` (the real servers they need), with the variables it gives
     * added to their environment; if it fails, each of them fails with its error.
     */
    gate?: { files: (file: string) => boolean; opened: Promise<NodeJS.ProcessEnv> };
  },
): TestRun {
  const gate = options.gate;
  const queue = new TestQueue(files, gate?.files);
  let gateEnv: NodeJS.ProcessEnv = {};
  let gateError: unknown;
  const gateOpened = (gate?.opened ?? Promise.resolve({})).then(
    (env) => {
      gateEnv = env;
      queue.open();
    },
    (error: unknown) => {
      gateError = error;
      queue.open();
    },
  );
  const running = new Set<ChildProcess>();
  const results: FileResult[] = [];
  let stopped = false;
  let markStopped = (): void => {};
  const whenStopped = new Promise<void>((resolve) => (markStopped = resolve));

  const runFile = (file: string): Promise<FileResult> =>
    new Promise((resolve) => {
      const started = Date.now();
      const gated = gate?.files(file) ?? false;
      if (gated && gateError !== undefined) {
        const reason = gateError instanceof Error ? gateError.message : JSON.stringify(gateError);
        resolve({ file, code: 1, ms: 0, output: `✖ failing tests:\n✖ ${file} did not run: ${reason}\n` });
        return;
      }
      const child = spawn(process.execPath, [...options.nodeArgs, file], {
        cwd: options.cwd,
        env: gated ? { ...options.env, ...gateEnv } : options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      running.add(child);
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        void stopChild(child);
      }, options.fileTimeoutMs);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        signalGroup(child, 'SIGKILL');
        const output = Buffer.concat(chunks).toString('utf8');
        resolve({
          file,
          code: timedOut ? 1 : (code ?? (signal ? 1 : 0)),
          ms: Date.now() - started,
          output: timedOut
            ? `${output}\n✖ failing tests:\n✖ ${file} did not end within ${seconds(options.fileTimeoutMs)} (ATRIUM_TEST_FILE_TIMEOUT): stopped with everything it started\n`
            : output,
        });
      });
    });

  const slot = async (): Promise<void> => {
    while (!stopped) {
      const file = queue.take();
      if (file === undefined) {
        if (!queue.waiting) return;
        await Promise.race([gateOpened, whenStopped]);
        continue;
      }
      const result = await runFile(file);
      queue.finished(file);
      results.push(result);
      const verdict = result.code === 0 ? 'passed' : `FAILED (exit ${result.code})`;
      (options.print ?? ((text: string) => process.stdout.write(text)))(
        `\n── ${file}: ${verdict} in ${seconds(result.ms)} [${results.length}/${files.length}] ──\n${result.output}`,
      );
    }
  };

  const slots = Math.max(1, Math.min(options.slots, files.length));
  const done = Promise.all(Array.from({ length: slots }, slot)).then(() => results);
  return {
    done,
    async stop() {
      stopped = true;
      markStopped();
      await Promise.all([...running].map(stopChild));
    },
  };
}

/** The run's summary: totals over every file, failing tests per file, the slowest files. */
export function summarize(results: FileResult[], wallMs: number): string {
  const totals = Object.fromEntries(COUNTS.map((count) => [count, 0])) as Record<(typeof COUNTS)[number], number>;
  for (const { output } of results)
    for (const count of COUNTS) {
      const match = new RegExp(`^ℹ ${count} (\\d+)$`, 'm').exec(output);
      if (match) totals[count] += Number(match[1]);
    }
  const lines = ['', `══ ${results.length} test files in ${seconds(wallMs)} ══`];
  for (const count of COUNTS) lines.push(`ℹ ${count} ${totals[count]}`);

  const failed = results.filter((result) => result.code !== 0);
  if (failed.length > 0) {
    lines.push('', `✖ failing test files: ${failed.length}`);
    for (const result of failed) {
      // The runner lists a file's failing tests after this line; a file that failed to load has none.
      const at = result.output.indexOf('✖ failing tests:');
      lines.push(
        `\n✖ ${result.file} (exit ${result.code})`,
        at === -1 ? result.output.trim().split('\n').slice(-30).join('\n') : result.output.slice(at).trim(),
      );
    }
  }

  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_SHOWN);
  const sum = results.reduce((total, result) => total + result.ms, 0);
  lines.push('', `Slowest of ${results.length} files (${seconds(sum)} of runner time in all):`);
  for (const result of slowest) lines.push(`  ${seconds(result.ms).padStart(8)}  ${result.file}`);
  return `${lines.join('\n')}\n`;
}

/** SIGINT to the file's process group (its runner, the test, the processes it started), SIGKILL after 15 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  signalGroup(child, 'SIGINT');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
