import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestQueue } from '../../scripts/test-queue.ts';
import { summarize } from '../../scripts/test-runner.ts';

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
