// What the security suite (tests/security/) checks after its requests: that a refusal is a
// problem document, and that nothing was written (the database's row counts and the
// workflows started on the platform's task queues, before and after).
import assert from 'node:assert/strict';
import type { Platform } from './platform.ts';

/**
 * Tables written on a timer, whatever the requests: Atrium meters its own usage (workflow runs,
 * API requests) in batches the API and the worker flush every few seconds, so a row of the
 * tenant's earlier work may land in the middle of any operation's requests.
 */
const WRITTEN_IN_THE_BACKGROUND = ['usage_events'];

/** The number of rows of every table of the public schema (but those written in the background). */
export async function rowCounts(platform: Platform): Promise<Record<string, number>> {
  const tables = (
    await platform.database.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    )
  ).filter(({ tablename }) => !WRITTEN_IN_THE_BACKGROUND.includes(tablename));
  const rows = await platform.database.query<{ name: string; n: number }>(
    tables
      .map(({ tablename }) => `SELECT '${tablename}' AS name, count(*)::int AS n FROM "${tablename}"`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map(({ name, n }) => [name, n]));
}

/** Every workflow started on the platform's task queues (its families' and the legacy one). */
export async function workflowsStarted(platform: Platform): Promise<number> {
  const queues = [...platform.taskQueues, platform.legacyTaskQueue].map((queue) => `"${queue}"`).join(', ');
  const { count } = await platform.temporal.workflow.count(`TaskQueue IN (${queues})`);
  return count;
}

export interface WriteFingerprint {
  rows: Record<string, number>;
  workflows: number;
}

export async function writeFingerprint(platform: Platform): Promise<WriteFingerprint> {
  return { rows: await rowCounts(platform), workflows: await workflowsStarted(platform) };
}

/** The tables whose row counts differ, and the change in workflows started, if any. */
export function writesBetween(before: WriteFingerprint, after: WriteFingerprint): string[] {
  const changed = Object.keys({ ...before.rows, ...after.rows })
    .filter((table) => before.rows[table] !== after.rows[table])
    .map((table) => `${table}: ${before.rows[table]} → ${after.rows[table]} rows`);
  if (before.workflows !== after.workflows) changed.push(`workflows: ${before.workflows} → ${after.workflows}`);
  return changed;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, body };
}

/** A 4xx is an RFC 9457 problem of Atrium's: its media type, a type, its status, a title. */
export function assertProblem(answer: Answer, label: string): void {
  assert.match(answer.contentType, /^application\/problem\+json/, `${label}: ${answer.status} ${answer.contentType}`);
  assert.match(String(answer.body?.type), /^urn:atrium:problem:[a-z-]+$/, `${label}: ${answer.text.slice(0, 300)}`);
  assert.equal(answer.body.status, answer.status, label);
  assert.ok(answer.body.title, label);
}
