// Schemas shared by several route modules, for OpenAPI and response typing.
import { z } from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import { OPERATION_KINDS } from '../../workflows/shared/operation.contract.ts';

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'urn:atrium:problem:validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request (e.g. invalid JSON or header).',
  404: 'Not found.',
  409: 'Conflicts with the current state.',
  413: 'Body too large.',
  415: 'Body is not application/json.',
  422: 'Invalid fields; `errors` names each one.',
  500: 'Unexpected error.',
};

export function problemResponses(...statuses: number[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    [...statuses, 500].map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error.',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );
}

const StepSchema = z.object({
  name: z.string(),
  title: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'skipped', 'compensated']),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  error: z.string().nullable(),
  attempt: z.number().int().nullable(),
});

export const OperationSummarySchema = z
  .object({
    id: z.string().meta({ example: 'tenant-provision/acme' }),
    kind: z.enum(OPERATION_KINDS),
    tenantId: z.string().nullable(),
    workflowId: z.string(),
    runId: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out']),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    links: z.object({ self: z.string(), events: z.string(), temporalUi: z.string() }),
  })
  .meta({ id: 'OperationSummary' });

export const OperationSchema = OperationSummarySchema.extend({
  phase: z.enum(['running', 'compensating', 'completed', 'cancelled', 'failed']).nullable(),
  steps: z.array(StepSchema),
  error: z.string().nullable(),
}).meta({ id: 'Operation' });
