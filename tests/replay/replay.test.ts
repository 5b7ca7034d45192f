// Replays every committed workflow history (tests/histories/*.json) against the current
// workflow code. A change that would break running workflows (a reordered, added or
// removed step without patching) fails here, before it reaches a worker.
// Re-record histories with `ATRIUM_RECORD_HISTORIES=1 npm test -- tests/integration`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Runtime, Worker } from '@temporalio/worker';
import { DefaultLogger } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });

const HISTORIES = new URL('../histories/', import.meta.url);
const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const REORDERED = fileURLToPath(new URL('./fixtures/provision-tenant-reordered.ts', import.meta.url));

function loadHistories() {
  return readdirSync(HISTORIES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(readFileSync(new URL(file, HISTORIES), 'utf8'))),
    }));
}

describe('workflow replay', () => {
  const histories = loadHistories();

  it('has committed histories for each outcome of provisionTenant', () => {
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      ['provision-tenant-compensated.json', 'provision-tenant-completed.json'],
    );
  });

  it('replays every committed history with the current workflow code', async () => {
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS, replayName: 'atrium-replay' },
      histories,
    )) {
      results.push(result);
    }
    assert.equal(results.length, histories.length);
    for (const result of results)
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  });

  it('catches a non-deterministic change', async () => {
    const completed = histories.filter((h) => h.workflowId === 'provision-tenant-completed.json');
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: REORDERED, replayName: 'atrium-replay-bad' },
      completed,
    )) {
      results.push(result);
    }
    assert.equal(results.length, 1);
    assert.ok(
      results[0]?.error instanceof DeterminismViolationError,
      `expected a determinism violation, got ${String(results[0]?.error)}`,
    );
  });
});
