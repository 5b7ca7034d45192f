// A sync definition as a Temporal Schedule (`connector-sync/<slug>/<connection>/<sync>`): every
// `intervalSeconds` it starts syncConnection on the connectors family's queue, with the
// TenantId, OperationKind and ConnectionId search attributes on the schedule and on each run.
// A run still going when the next is due makes the next one skip; a missed action (server
// down) is taken up to a minute late, not replayed for a year.
import type { ScheduleDeclaration } from '../schedules/index.ts';
import type { SyncRow } from '../../db/repositories/connector-syncs.ts';
import type { SyncConnectionInput } from '../../workflows/connectors/contract.ts';
import { SYNC_CONNECTION_KIND, syncScheduleId } from '../../workflows/connectors/contract.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import type { ActivityTimings } from '../../workflows/shared/operation.contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';

export function syncScheduleDeclaration(
  sync: Pick<SyncRow, 'id' | 'connection_id' | 'interval_seconds' | 'name'>,
  context: { tenantId: string; slug: string; taskQueuePrefix: string; timings: ActivityTimings; paused: boolean },
): ScheduleDeclaration {
  const input: SyncConnectionInput = {
    tenantId: context.tenantId,
    slug: context.slug,
    connectionId: sync.connection_id,
    syncId: sync.id,
    timings: context.timings,
  };
  const scheduleId = syncScheduleId(context.slug, sync.connection_id, sync.id);
  return {
    scheduleId,
    spec: { intervals: [{ every: sync.interval_seconds * 1_000 }] },
    action: {
      workflowType: OPERATION_CATALOGUE[SYNC_CONNECTION_KIND].workflowType,
      taskQueue: familyTaskQueue(context.taskQueuePrefix, 'connectors'),
      workflowId: scheduleId,
      args: [input],
      tenantId: context.tenantId,
      operationKind: SYNC_CONNECTION_KIND,
      connectionId: sync.connection_id,
    },
    policies: { overlap: 'SKIP', catchupWindow: '1m' },
    memo: { sync: sync.name },
    state: context.paused
      ? { paused: true, note: 'Paused: the connection needs to be authorized again (resumes when reconnected).' }
      : {},
  };
}
