// The worker's configuration, read once at boot.
import { z } from 'zod';
import type { ClusterConfig } from '../config/cluster.ts';
import { clusterConfigFrom, clusterSettings } from '../config/cluster.ts';
import type { BillingConfig } from '../config/billing.ts';
import { billingConfigFrom, billingSettings } from '../config/billing.ts';
import type { MailConfig } from '../config/mail.ts';
import { mailSettings, readMailConfig } from '../config/mail.ts';
import type { SecretStoreConfig } from '../config/secrets.ts';
import { secretStoreConfigFrom, secretStoreSettings } from '../config/secrets.ts';
import { duration, logLevel, postgresUrl, temporalSettings } from '../config/env.ts';
import type { Env } from '../config/env.ts';
import { parseEnv } from '../config/env.ts';

const WorkerEnv = z.object({
  DATABASE_URL: postgresUrl,
  ...temporalSettings,
  LOG_LEVEL: logLevel,
  /** How long in-flight activities get to finish after SIGINT/SIGTERM. */
  WORKER_SHUTDOWN_GRACE_TIME: duration.default(30_000),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(50),
  ...clusterSettings,
  ...secretStoreSettings,
  ...billingSettings,
  ...mailSettings,
});

export interface WorkerConfig {
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string | undefined };
  logLevel: z.output<typeof logLevel>;
  shutdownGraceTimeMs: number;
  maxConcurrentActivities: number;
  cluster: ClusterConfig;
  secretStore: SecretStoreConfig;
  billing: BillingConfig;
  mail: MailConfig;
}

export function readWorkerConfig(env: Env): WorkerConfig {
  const parsed = parseEnv(WorkerEnv, env);
  return {
    databaseUrl: parsed.DATABASE_URL,
    temporal: {
      address: parsed.TEMPORAL_ADDRESS,
      namespace: parsed.TEMPORAL_NAMESPACE,
      taskQueue: parsed.TEMPORAL_TASK_QUEUE,
    },
    logLevel: parsed.LOG_LEVEL,
    shutdownGraceTimeMs: parsed.WORKER_SHUTDOWN_GRACE_TIME,
    maxConcurrentActivities: parsed.WORKER_MAX_CONCURRENT_ACTIVITIES,
    cluster: clusterConfigFrom(parsed),
    secretStore: secretStoreConfigFrom(parsed),
    billing: billingConfigFrom(parsed),
    mail: readMailConfig(parsed),
  };
}
