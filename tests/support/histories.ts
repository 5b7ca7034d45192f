// Writes a finished workflow's history to tests/histories/ for the replay test, when the
// run was asked to (ATRIUM_RECORD_HISTORIES=1). Committed histories are what the replay
// test checks every later version of the workflow code against.
import { writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { testEnv } from './env.ts';

export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (!testEnv.ATRIUM_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = new URL(`../histories/${name}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
