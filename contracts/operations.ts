// Operations: long-running work (a Temporal workflow) as the API shows it — listed, read
// with its step-by-step progress, and followed as Server-Sent Events.
import { z } from 'zod';
import { OPERATION_KINDS } from '../workflows/catalogue.ts';

// How people read a kind (the catalogue's label), for the portal and the CLI.
export { operationKindLabel } from '../workflows/catalogue.ts';
import { OPERATION_PHASES, STEP_STATUSES } from '../workflows/shared/operation-vocabulary.ts';

export { OPERATION_KINDS, OPERATION_PHASES, STEP_STATUSES };

export const OperationKind = z.enum(OPERATION_KINDS);
export type OperationKind = z.infer<typeof OperationKind>;

/** The workflow execution's status, in the API's words (Temporal's RUNNING → running, …). */
export const OPERATION_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out'] as const;
export const OperationStatus = z.enum(OPERATION_STATUSES);
export type OperationStatus = z.infer<typeof OperationStatus>;

export const OperationPhase = z.enum(OPERATION_PHASES);
export type OperationPhase = z.infer<typeof OperationPhase>;

export const StepStatus = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatus>;

export const OperationStep = z.object({
  name: z.string(),
  title: z.string(),
  status: StepStatus,
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  /** What went wrong, in words an operator can act on. */
  error: z.string().nullable(),
  /** Which attempt the running step's activity is on, once it has been retried. */
  attempt: z.number().int().nullable(),
  /** What a running step waits for, in words (a freeze window, a soak time); absent when nothing. */
  note: z.string().nullable().optional(),
});
export type OperationStep = z.infer<typeof OperationStep>;

export const OperationLinks = z.object({ self: z.string(), events: z.string(), temporalUi: z.string() });
export type OperationLinks = z.infer<typeof OperationLinks>;

export const OperationSummary = z
  .object({
    id: z.string().meta({ example: 'tenant-provision/acme' }),
    kind: OperationKind,
    /** Null for an operation that belongs to no tenant. */
    tenantId: z.string().nullable(),
    workflowId: z.string(),
    runId: z.string(),
    status: OperationStatus,
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    links: OperationLinks,
  })
  .meta({ id: 'OperationSummary' });
export type OperationSummary = z.infer<typeof OperationSummary>;

export const Operation = OperationSummary.extend({
  /** The workflow's own account: `cancelled` when an offboarding was called off (it still completed). */
  phase: OperationPhase.nullable(),
  steps: z.array(OperationStep),
  error: z.string().nullable(),
}).meta({ id: 'Operation' });
export type Operation = z.infer<typeof Operation>;

/** The answer of a command that started an operation (202). */
export const OperationStarted = z.object({ operation: OperationSummary });
export type OperationStarted = z.infer<typeof OperationStarted>;

export const OperationPath = z.strictObject({
  id: z.string().min(1).max(400).meta({ description: 'The operation id (its workflow id), URL-encoded.' }),
});

export const OperationListQuery = z.strictObject({
  tenantId: z.uuid('Must be a tenant id (UUID).').optional(),
  kind: OperationKind.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type OperationListQuery = z.input<typeof OperationListQuery>;

export const OperationList = z.object({ items: z.array(OperationSummary) });
export type OperationList = z.infer<typeof OperationList>;

/** The event stream: `progress` carries an Operation whenever it changes, `end` this. */
export const OperationStreamEnd = z.object({ status: OperationStatus });
export type OperationStreamEnd = z.infer<typeof OperationStreamEnd>;

/** What a span of an operation's trace stands for, as the waterfall colours it. */
export const TRACE_SPAN_KINDS = ['request', 'workflow', 'activity', 'database', 'call', 'other'] as const;
export const TraceSpanKind = z.enum(TRACE_SPAN_KINDS);
export type TraceSpanKind = z.infer<typeof TraceSpanKind>;

export const TraceSpan = z.object({
  spanId: z.string(),
  /** null: the trace's root (or a span whose parent was not kept). */
  parentSpanId: z.string().nullable(),
  name: z.string(),
  service: z.string(),
  kind: TraceSpanKind,
  /** Milliseconds from the trace's first span. */
  startMs: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  error: z.boolean(),
});
export type TraceSpan = z.infer<typeof TraceSpan>;

/** GET /api/v1/operations/:id/trace: the trace of the request that started the operation. */
export const OperationTrace = z.object({
  traceId: z.string(),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
  /** In start order. */
  spans: z.array(TraceSpan),
});
export type OperationTrace = z.infer<typeof OperationTrace>;
