// The platform a benchmark measures: the real worker and API entry points as child
// processes (as `npm start` runs them), on a bench database and a Temporal dev server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildHandle } from '../../tests/support/processes.ts';
import { ENTRY_POINTS, startNodeProcess } from '../../tests/support/processes.ts';
import { onCleanup } from './cleanups.ts';
import type { BenchDatabase } from './database.ts';

export interface PlatformSettings {
  database: BenchDatabase;
  temporalAddress: string;
  /** Settings for the real servers (Vault, Stripe, Kubernetes), when a benchmark uses them. */
  extraWorkerEnv?: Record<string, string>;
  extraApiEnv?: Record<string, string>;
}

export interface BenchPlatform {
  baseUrl: string;
  /** The key the API signs access tokens with (seedUser signs with it too). */
  jwtKey: string;
  taskQueue: string;
  api: ChildHandle;
  /** Starts the worker (it is not started by startPlatform). */
  startWorker(): Promise<ChildHandle>;
}

export async function startPlatform(settings: PlatformSettings): Promise<BenchPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'atrium-bench-'));
  onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  const jwtKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const taskQueue = `atrium-bench-${randomBytes(4).toString('hex')}`;
  const common = {
    DATABASE_URL: settings.database.url,
    TEMPORAL_ADDRESS: settings.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SECRET_STORE_KEY_FILE: join(dataDir, 'secret-store.key'),
  };
  const api = await startNodeProcess(ENTRY_POINTS.api, {
    // Rate limits off: benchmarks load one tenant far past any plan's limit (issue 12's rule).
    env: {
      ...common,
      PORT: '0',
      PORTAL_MODE: 'off',
      JWT_PRIVATE_KEY: jwtKey,
      TENANT_RATE_LIMITS: 'off',
      ...settings.extraApiEnv,
    },
    readyWhen: /"url":"(http:\/\/[^"]+)"/,
  });
  onCleanup(() => api.stop());
  return {
    baseUrl: api.ready[1] as string,
    jwtKey,
    taskQueue,
    api,
    async startWorker() {
      const worker = await startNodeProcess(ENTRY_POINTS.worker, {
        env: { ...common, LICENSE_SIGNING_KEY_FILE: join(dataDir, 'license.pem'), ...settings.extraWorkerEnv },
        readyWhen: /"Worker started"/,
        timeoutMs: 180_000, // bundling the workflows takes long on a busy machine
      });
      onCleanup(() => worker.stop());
      return worker;
    },
  };
}
