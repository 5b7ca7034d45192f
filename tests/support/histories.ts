// Writes a finished workflow's history to tests/histories/<name>-<label>.json for the
// replay test, when the run was asked to (ATRIUM_RECORD_HISTORIES=<label>, e.g. v3).
// Committed histories stand for workflows still running under older code: keep them,
// and add a new label when the workflow changes.
import { writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { testEnv } from './env.ts';

/** `runId`: a run of the chain other than the latest (the one that continued as new). */
export async function recordHistory(client: Client, workflowId: string, name: string, runId?: string): Promise<void> {
  if (!testEnv.ATRIUM_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const file = new URL(`../histories/${name}-${testEnv.ATRIUM_RECORD_HISTORIES}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
