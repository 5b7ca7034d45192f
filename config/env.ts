// Helpers for reading configuration once, at boot, from an environment object.
// Each process has its own zod schema (api/config.ts, worker/config.ts, scripts/start.ts);
// nothing else in the codebase reads process.env.
import { z } from 'zod';

/** Thrown at boot when the environment is invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

/** Parses `env` with `schema`, turning every zod issue into one line naming the variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  // Empty strings mean "unset" so that `FOO= npm start` behaves like leaving FOO out.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`));
}

/** A duration such as `500ms`, `30s`, `5m`, `2h` or `7d`: the same format settings and requests use. */
export { duration } from '../contracts/common.ts';

export const port = z.coerce.number().int().min(0).max(65_535);

export const logLevel = z.enum(['error', 'warn', 'info', 'debug']).default('info');

export const postgresUrl = z.string().refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL');

/** Settings every process that talks to Temporal shares. */
export const temporalSettings = {
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  // The prefix of every family's task queue (`<prefix>-<family>`, workflows/shared/task-queues.ts);
  // tests give each run its own to isolate it.
  TEMPORAL_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/, 'must be letters, digits, dots, dashes or underscores')
    .default('atrium'),
};

/**
 * Database connections an API process opens at most. The worker reads it too: its pools and
 * one API's together must fit PostgreSQL's max_connections (worker/connection-budget.ts).
 */
export const apiDatabasePoolSize = z.coerce.number().int().min(1).max(500).default(10);
