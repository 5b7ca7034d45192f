// The worker's configuration, read once at boot.
import { z } from 'zod';
import type { ClusterConfig } from '../config/cluster.ts';
import { clusterConfigFrom, clusterSettings } from '../config/cluster.ts';
import type { BillingConfig } from '../config/billing.ts';
import { billingConfigFrom, billingSettings } from '../config/billing.ts';
import type { MailConfig } from '../config/mail.ts';
import { mailSettings, readMailConfig } from '../config/mail.ts';
import type { OutboundConfig } from '../config/outbound.ts';
import { outboundSettings, readOutboundConfig } from '../config/outbound.ts';
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
  /** Which addresses tenant-given URLs (webhooks, OAuth providers) may reach. */
  ...outboundSettings,
  /** PKCS#8 PEM file of the Ed25519 key tenant licenses are signed with (created on first use). */
  LICENSE_SIGNING_KEY_FILE: z.string().min(1).default('.data/license-ed25519.pem'),
  /** The portal's public address: the welcome mail links to it. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).default('http://127.0.0.1:3000'),
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
  outbound: OutboundConfig;
  licenseSigningKeyFile: string;
  publicUrl: string;
  /** Where tenant workloads reach PostgreSQL: DATABASE_URL's host, port and database. */
  tenantDatabase: { host: string; port: number; database: string };
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
    outbound: readOutboundConfig(parsed),
    licenseSigningKeyFile: parsed.LICENSE_SIGNING_KEY_FILE,
    publicUrl: parsed.PUBLIC_URL,
    tenantDatabase: databaseAddress(parsed.DATABASE_URL),
  };
}

function databaseAddress(databaseUrl: string): { host: string; port: number; database: string } {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 5432,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
}
