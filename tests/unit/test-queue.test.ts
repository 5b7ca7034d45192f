import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TestQueue } from '../../scripts/test-queue.ts';
import { runTestFiles, summarize } from '../../scripts/test-runner.ts';
import { waitFor } from '../support/wait-for.ts';

const unit = 'tests/unit/a.test.ts';
const integration = 'tests/integration/b.test.ts';
const security = 'tests/security/c.test.ts';
const [e2eOne, e2eTwo] = ['tests/e2e/c.test.ts', 'tests/e2e/d.test.ts'];

describe('TestQueue', () => {
  it('gives a free slot a browser test only while no other one runs', () => {
    const queue = new TestQueue([e2eOne, e2eTwo, unit]);
    assert.equal(queue.take(), e2eOne);
    assert.equal(queue.take(), unit, 'the second slot takes another file');
    assert.equal(queue.take(), undefined, 'never two browser tests at once');
    queue.finished(e2eOne);
    assert.equal(queue.take(), e2eTwo);
    assert.equal(queue.remaining, 0);
  });

  it('lets a slot freed by the last browser test take the other files', () => {
    const queue = new TestQueue([e2eOne, unit, integration]);
    assert.equal(queue.take(), e2eOne);
    assert.equal(queue.take(), integration);
    queue.finished(e2eOne);
    assert.equal(queue.take(), unit, 'no slot idles while files wait');
  });

  it('takes the slow kinds first and keeps the found order within a kind', () => {
    const second = 'tests/integration/a.test.ts';
    const queue = new TestQueue([unit, integration, second, security]);
    assert.deepEqual([queue.take(), queue.take(), queue.take(), queue.take()], [security, integration, second, unit]);
    assert.equal(queue.take(), undefined);
  });
});

describe('TestQueue with a gate', () => {
  const needsServers = new Set([integration, e2eTwo]);
  const gated = (file: string) => needsServers.has(file);

  it('gives out the files behind the gate only once it is open, the others meanwhile', () => {
    const queue = new TestQueue([e2eTwo, e2eOne, integration, unit, security], gated);
    assert.equal(queue.take(), e2eOne, 'the browser test that needs no server goes first');
    assert.equal(queue.take(), security);
    assert.equal(queue.take(), unit);
    assert.equal(queue.take(), undefined);
    assert.equal(queue.waiting, true);
    queue.finished(e2eOne);
    assert.equal(queue.take(), undefined, 'the other browser test waits for the gate too');
    queue.open();
    assert.equal(queue.waiting, false);
    assert.equal(queue.take(), e2eTwo);
    assert.equal(queue.take(), integration);
    assert.equal(queue.remaining, 0);
  });

  it('is not waiting when no file behind the gate is left', () => {
    const queue = new TestQueue([unit], gated);
    assert.equal(queue.waiting, false);
    assert.equal(queue.take(), unit);
    assert.equal(queue.take(), undefined);
  });
});

describe('summarize', () => {
  const passed = (file: string, tests: number) => ({
    file,
    code: 0,
    ms: tests * 1000,
    output: `✔ a test\nℹ tests ${tests}\nℹ suites 1\nℹ pass ${tests}\nℹ fail 0\n`,
  });

  it('adds up the counts of every file and lists the slowest', () => {
    const summary = summarize([passed(unit, 2), passed(integration, 5)], 6000);
    assert.match(summary, /2 test files in 6\.0 s/);
    assert.match(summary, /^ℹ tests 7$/m);
    assert.match(summary, /^ℹ pass 7$/m);
    assert.match(summary, /^ℹ fail 0$/m);
    assert.ok(summary.indexOf(integration) < summary.lastIndexOf(unit), 'slowest first');
    assert.doesNotMatch(summary, /failing/);
  });

  it('repeats the failing tests under their file, and the end of a file that failed to load', () => {
    const failing = {
      file: integration,
      code: 1,
      ms: 10,
      output: 'ℹ tests 1\nℹ fail 1\n\n✖ failing tests:\n\ntest at b.test.ts:3:1\n✖ refuses a bad slug\n',
    };
    const unloadable = { file: unit, code: 1, ms: 5, output: "SyntaxError: Unexpected token '}'\n" };
    const summary = summarize([failing, unloadable], 20);
    assert.match(summary, /✖ failing test files: 2/);
    assert.match(
      summary,
      /✖ tests\/integration\/b\.test\.ts \(exit 1\)\n✖ failing tests:\n\ntest at b\.test\.ts:3:1\n✖ refuses a bad slug/,
    );
    assert.match(summary, /✖ tests\/unit\/a\.test\.ts \(exit 1\)\nSyntaxError/);
  });
});

describe('runTestFiles', () => {
  // Each "test file" here is a small script run by plain Node in a folder of its own.
  const folder = mkdtempSync(join(tmpdir(), 'atrium-runner-'));
  const print = (): void => {}; // this run's own file headers would read as the real run's
  after(() => rmSync(folder, { recursive: true, force: true }));
  const script = (name: string, code: string): string => {
    writeFileSync(join(folder, name), code);
    return name;
  };
  /** The runner's options for these scripts: one slot, a minute each, unless `extra` says. */
  const options = (extra: Partial<Parameters<typeof runTestFiles>[1]> = {}): Parameters<typeof runTestFiles>[1] => ({
    slots: 1,
    cwd: folder,
    env: process.env,
    nodeArgs: [],
    fileTimeoutMs: 60_000,
    print,
    ...extra,
  });
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('stops a file that hangs after its timeout, with what it started, and counts it as failed', async () => {
    // The hang CI saw: a test file whose worker never became ready keeps the child it spawned.
    const hang = script(
      'hang.mjs',
      `import { spawn } from 'node:child_process';
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
       console.log('child ' + child.pid);`,
    );
    const passes = script('passes.mjs', `console.log('fine');`);
    const run = runTestFiles([hang, passes], {
      slots: 2,
      cwd: folder,
      env: process.env,
      nodeArgs: [],
      fileTimeoutMs: 1500,
      print,
    });
    const results = await run.done;
    const hung = results.find((result) => result.file === hang)!;
    assert.equal(hung.code, 1);
    assert.match(hung.output, /did not end within 1\.5 s/);
    const childPid = Number(/child (\d+)/.exec(hung.output)?.[1]);
    await waitFor('the hung file’s child to be gone', () => !alive(childPid));
    assert.equal(results.find((result) => result.file === passes)?.code, 0);
    assert.match(summarize(results, 2000), /✖ hang\.mjs \(exit 1\)[\s\S]*did not end within/);
  });

  it('runs the files behind the gate once it opens, with its variables; fails them with its error', async () => {
    const free = script('free.mjs', `console.log('free ran at ' + Date.now());`);
    const needy = script(
      'needy.mjs',
      `console.log('needy ran at ' + Date.now() + ' with ' + process.env.SERVER_ADDR);`,
    );
    let open = (_env: NodeJS.ProcessEnv): void => {};
    const opened = new Promise<NodeJS.ProcessEnv>((resolve) => (open = resolve));
    const run = runTestFiles([needy, free], options({ slots: 2, gate: { files: (file) => file === needy, opened } }));
    // The free file ends while the needy one still waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const openedAt = Date.now();
    open({ SERVER_ADDR: '127.0.0.1:9' });
    const results = await run.done;
    assert.deepEqual(
      results.map((result) => result.file),
      [free, needy],
    );
    assert.ok(results.every((result) => result.code === 0));
    const freeAt = Number(/free ran at (\d+)/.exec(results[0]!.output)?.[1]);
    const needyAt = Number(/needy ran at (\d+)/.exec(results[1]!.output)?.[1]);
    assert.ok(freeAt < openedAt && needyAt >= openedAt, `free ${freeAt}, opened ${openedAt}, needy ${needyAt}`);
    assert.match(results[1]!.output, /with 127\.0\.0\.1:9/);

    const failed = await runTestFiles(
      [needy, free],
      options({
        gate: { files: (file) => file === needy, opened: Promise.reject(new Error('OpenBao did not build')) },
      }),
    ).done;
    assert.equal(failed.find((result) => result.file === free)?.code, 0);
    const refused = failed.find((result) => result.file === needy);
    assert.equal(refused?.code, 1);
    assert.match(refused?.output ?? '', /needy\.mjs did not run: OpenBao did not build/);
    assert.match(summarize(failed, 100), /✖ needy\.mjs \(exit 1\)[\s\S]*OpenBao did not build/);
  });

  it('kills what a finished file left running', async () => {
    const leaves = script(
      'leaves.mjs',
      `import { spawn } from 'node:child_process';
       const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       child.unref();
       console.log('child ' + child.pid);`,
    );
    const [result] = await runTestFiles([leaves], options()).done;
    assert.equal(result?.code, 0);
    const childPid = Number(/child (\d+)/.exec(result.output)?.[1]);
    await waitFor('the leftover child to be gone', () => !alive(childPid));
  });
});
