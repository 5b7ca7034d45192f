// Starts `temporal server start-dev` through scripts/temporal-server.sh (the one place
// that finds or builds the CLI) and waits until it serves requests with Atrium's search
// attributes registered. Shared by `npm start` and `npm test`.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';

const SCRIPT = fileURLToPath(new URL('./temporal-server.sh', import.meta.url));
const REQUIRED_SEARCH_ATTRIBUTES = ['TenantId', 'OperationKind', 'ConnectionId'];

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  cliPath: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  port: number;
  uiPort: number;
  /** SQLite file to keep state in; in-memory when absent. */
  dbFile?: string;
  /** Where the server's own output goes. */
  stdio?: 'inherit' | 'ignore';
}

export function temporalCliPath(): string {
  return execFileSync('bash', [SCRIPT, 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const cliPath = temporalCliPath(); // builds first if needed, before the readiness clock starts
  const child = spawn('bash', [SCRIPT, 'start'], {
    env: {
      ...process.env,
      TEMPORAL_PORT: String(options.port),
      TEMPORAL_UI_PORT: String(options.uiPort),
      TEMPORAL_DB_FILE: options.dbFile ?? '',
    },
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitUntilReady(address, child);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    throw error;
  }
  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    cliPath,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitUntilReady(address: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((name) => !(name in (customAttributes ?? {})));
        if (missing.length === 0) return;
        lastError = new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}
