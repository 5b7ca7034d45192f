// The worker's configuration, read once at boot.
import { z } from 'zod';
import type { ConnectorConfig } from '../config/connectors.ts';
import { connectorSettings, readConnectorConfig } from '../config/connectors.ts';
import type { ClusterConfig } from '../config/cluster.ts';
import { clusterConfigFrom, clusterSettings } from '../config/cluster.ts';
import type { BillingConfig } from '../config/billing.ts';
import { billingConfigFrom, billingSettings } from '../config/billing.ts';
import type { MailConfig } from '../config/mail.ts';
import { mailSettings, readMailConfig } from '../config/mail.ts';
import type { MetricsAddress } from '../config/metrics.ts';
import { metricsSettings, workerMetricsAddress } from '../config/metrics.ts';
import type { TemporalConnectionConfig } from '../config/temporal.ts';
import { temporalConnectionFrom, temporalConnectionSettings } from '../config/temporal.ts';
import type { TracingConfig } from '../config/tracing.ts';
import { tracingConfigFrom, tracingSettings } from '../config/tracing.ts';
import type { OutboundConfig } from '../config/outbound.ts';
import { outboundSettings, readOutboundConfig } from '../config/outbound.ts';
import type { SecretStoreConfig } from '../config/secrets.ts';
import { secretStoreConfigFrom, secretStoreSettings } from '../config/secrets.ts';
import { apiDatabasePoolSize, duration, logLevel, postgresUrl, temporalSettings } from '../config/env.ts';
import type { WorkflowFamily } from '../workflows/catalogue.ts';
import { WORKFLOW_FAMILIES } from '../workflows/catalogue.ts';
import { LEGACY_TASK_QUEUE } from '../workflows/shared/task-queues.ts';
import type { Env } from '../config/env.ts';
import type { AcceleratedClockSetting } from '../integrations/webhooks/signing-clock.ts';
import { parseAcceleratedClock } from '../integrations/webhooks/signing-clock.ts';
import { parseEnv } from '../config/env.ts';

const WorkerEnv = z.object({
  DATABASE_URL: postgresUrl,
  ...temporalSettings,
  /** TLS, a client certificate or an API key for Temporal (config/temporal.ts). */
  ...temporalConnectionSettings,
  LOG_LEVEL: logLevel,
  /** A folder of prebuilt workflow bundles (`npm run build:workflows`); unset: bundle at start. */
  WORKER_WORKFLOW_BUNDLE_DIR: z.string().min(1).optional(),
  /** How long in-flight activities get to finish after SIGINT/SIGTERM. */
  WORKER_SHUTDOWN_GRACE_TIME: duration.default(30_000),
  /** Activity slots per family (`tenant-provisioning=20,tenant-offboarding=2`); unnamed families keep their default. */
  WORKER_ACTIVITY_SLOTS: z
    .string()
    .default('')
    .transform((value, ctx) => parseFamilyNumbers(value, ctx)),
  /** The families this worker runs (comma-separated); default every family in the catalogue. */
  WORKER_FAMILIES: z
    .string()
    .default(WORKFLOW_FAMILIES.join(','))
    .transform((value, ctx) => parseFamilies(value, ctx)),
  /** Whether to poll the pre-family queue: `auto` while workflows started there are open. */
  WORKER_LEGACY_QUEUE: z.enum(['auto', 'on', 'off']).default('auto'),
  TEMPORAL_LEGACY_TASK_QUEUE: z.string().min(1).default(LEGACY_TASK_QUEUE),
  WORKER_LEGACY_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(200).default(5),
  /** How often the worker asks whether the legacy queue still has open workflows. */
  WORKER_LEGACY_QUEUE_CHECK_INTERVAL: duration.default(5 * 60_000),
  /** One API process's pool: the worker's pools and it must fit PostgreSQL's max_connections. */
  API_DATABASE_POOL_SIZE: apiDatabasePoolSize,
  /** Replaced by WORKER_ACTIVITY_SLOTS (one number per family); refused so no one tunes a dead knob. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z
    .undefined({
      error: 'replaced by WORKER_ACTIVITY_SLOTS (per family, e.g. tenant-provisioning=20,tenant-suspension=5)',
    })
    .optional(),
  ...clusterSettings,
  ...secretStoreSettings,
  ...billingSettings,
  ...mailSettings,
  /** Prometheus metrics: the Temporal SDK's and Atrium's own (worker/metrics.ts). */
  ...metricsSettings,
  /** OpenTelemetry traces to an OTLP/HTTP collector (config/tracing.ts). */
  ...tracingSettings,
  /** Which addresses tenant-given URLs (webhooks, OAuth providers) may reach. */
  ...outboundSettings,
  /** Tenant-defined OAuth providers on http:// (development and tests only). */
  ...connectorSettings,
  /** How often the workflow runs counted as usage (`workflow.runs`) are written (worker/workflow-run-metering.ts). */
  USAGE_METERING_INTERVAL: duration.default(10_000),
  /** PKCS#8 PEM file of an Ed25519 key: seeds the license keyring in the secret store once, when there is none and the file exists (docs/decisions/0038); ignored afterwards. */
  LICENSE_SIGNING_KEY_FILE: z.string().min(1).default('.data/license-ed25519.pem'),
  /** The portal's public address: the welcome mail links to it. */
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).default('http://127.0.0.1:3000'),
  /** How long the owner invitation in a welcome mail works (the API's invitations use it too). */
  INVITATION_TTL: duration.default(7 * 86_400_000),
  /**
   * Tests only: `<rate>x@<epoch ms>` makes the clock that stamps webhook-timestamp run `rate`
   * times as fast from that moment, so retries seconds apart are signed minutes apart.
   */
  WEBHOOK_TEST_SIGNING_CLOCK: z
    .string()
    .transform((value, ctx) => {
      const setting = parseAcceleratedClock(value);
      if (!setting)
        ctx.addIssue({ code: 'custom', message: 'must be <rate>x@<epoch ms>, rate ≥ 1 (e.g. 100x@1764100000000)' });
      return setting;
    })
    .optional(),
});

export interface WorkerConfig {
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueuePrefix: string; connection: TemporalConnectionConfig };
  logLevel: z.output<typeof logLevel>;
  /** WORKER_METRICS_PORT on METRICS_HOST; null: no metrics endpoint. */
  metrics: MetricsAddress;
  /** null: tracing is off. */
  tracing: TracingConfig;
  shutdownGraceTimeMs: number;
  /** WORKER_WORKFLOW_BUNDLE_DIR; null: the worker bundles the workflows at start. */
  workflowBundleDir: string | null;
  /** The families this worker polls, and the activity slots each gets where WORKER_ACTIVITY_SLOTS says. */
  families: readonly WorkflowFamily[];
  activitySlots: Partial<Record<WorkflowFamily, number>>;
  legacyQueue: { mode: 'auto' | 'on' | 'off'; taskQueue: string; activitySlots: number; checkIntervalMs: number };
  apiDatabasePoolSize: number;
  cluster: ClusterConfig;
  secretStore: SecretStoreConfig;
  billing: BillingConfig;
  mail: MailConfig;
  outbound: OutboundConfig;
  connectors: ConnectorConfig;
  licenseSigningKeyFile: string;
  publicUrl: string;
  invitationTtlMs: number;
  /** USAGE_METERING_INTERVAL: how often counted workflow runs are written as usage events. */
  usageMeteringIntervalMs: number;
  /** WEBHOOK_TEST_SIGNING_CLOCK: an accelerated signing clock (tests only); null: the real clock. */
  webhookTestSigningClock: AcceleratedClockSetting | null;
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
      taskQueuePrefix: parsed.TEMPORAL_TASK_QUEUE,
      connection: temporalConnectionFrom(parsed),
    },
    logLevel: parsed.LOG_LEVEL,
    metrics: workerMetricsAddress(parsed),
    tracing: tracingConfigFrom(parsed),
    shutdownGraceTimeMs: parsed.WORKER_SHUTDOWN_GRACE_TIME,
    workflowBundleDir: parsed.WORKER_WORKFLOW_BUNDLE_DIR ?? null,
    families: parsed.WORKER_FAMILIES,
    activitySlots: parsed.WORKER_ACTIVITY_SLOTS,
    legacyQueue: {
      mode: parsed.WORKER_LEGACY_QUEUE,
      taskQueue: parsed.TEMPORAL_LEGACY_TASK_QUEUE,
      activitySlots: parsed.WORKER_LEGACY_ACTIVITY_SLOTS,
      checkIntervalMs: parsed.WORKER_LEGACY_QUEUE_CHECK_INTERVAL,
    },
    apiDatabasePoolSize: parsed.API_DATABASE_POOL_SIZE,
    cluster: clusterConfigFrom(parsed),
    secretStore: secretStoreConfigFrom(parsed),
    billing: billingConfigFrom(parsed),
    mail: readMailConfig(parsed),
    outbound: readOutboundConfig(parsed),
    connectors: readConnectorConfig(parsed),
    licenseSigningKeyFile: parsed.LICENSE_SIGNING_KEY_FILE,
    publicUrl: parsed.PUBLIC_URL,
    invitationTtlMs: parsed.INVITATION_TTL,
    usageMeteringIntervalMs: parsed.USAGE_METERING_INTERVAL,
    webhookTestSigningClock: parsed.WEBHOOK_TEST_SIGNING_CLOCK ?? null,
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

function isFamily(value: string): value is WorkflowFamily {
  return (WORKFLOW_FAMILIES as readonly string[]).includes(value);
}

function parseFamilies(value: string, ctx: z.RefinementCtx): WorkflowFamily[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !isFamily(name));
  if (unknown.length > 0 || names.length === 0)
    ctx.addIssue({
      code: 'custom',
      message: `${unknown.length ? `unknown famil${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; ` : ''}choose from ${WORKFLOW_FAMILIES.join(', ')}`,
    });
  return [...new Set(names.filter(isFamily))];
}

function parseFamilyNumbers(value: string, ctx: z.RefinementCtx): Partial<Record<WorkflowFamily, number>> {
  const slots: Partial<Record<WorkflowFamily, number>> = {};
  for (const pair of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([\w-]+)=(\d+)$/.exec(pair);
    const family = match?.[1] ?? '';
    const count = Number(match?.[2]);
    if (!match || !isFamily(family) || count < 1 || count > 200) {
      ctx.addIssue({
        code: 'custom',
        message: `"${pair}" must be <family>=<1..200> with a family among ${WORKFLOW_FAMILIES.join(', ')}`,
      });
      continue;
    }
    slots[family] = count;
  }
  return slots;
}
