// On a new machine the Temporal CLI and the real servers are built from Go modules: minutes
// each, once (they are cached after). `npm test` starts both builds at its first step, so they
// run beside each other, the browser's installation and the portal's build; each later step
// waits only for the build it needs. The scripts lock their caches, so the step that starts a
// server after its build simply finds it built.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerName } from './test-servers.ts';

const TEMPORAL_SCRIPT = fileURLToPath(new URL('./temporal-server.sh', import.meta.url));
const SERVERS_SCRIPT = fileURLToPath(new URL('./servers.sh', import.meta.url));

export interface BackgroundBuilds {
  /** Settles when the Temporal CLI is there (or its build failed: starting it then says why). */
  temporalCli: Promise<void>;
  /** Settles when the servers' binaries are cached (or their build failed, likewise). */
  servers: Promise<void>;
  /** Stops builds still running (an interrupted run). */
  stop(): void;
}

export function startBackgroundBuilds(servers: ServerName[]): BackgroundBuilds {
  const running = new Set<ReturnType<typeof spawn>>();
  const run = (args: string[]): Promise<void> =>
    new Promise((resolve) => {
      // Progress and errors go to stderr, which the person running the tests sees.
      const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
      running.add(child);
      const done = (): void => {
        running.delete(child);
        resolve();
      };
      child.once('exit', done);
      child.once('error', done);
    });
  return {
    temporalCli: run([TEMPORAL_SCRIPT, 'path']),
    servers: servers.length > 0 ? run([SERVERS_SCRIPT, 'ensure', ...servers]) : Promise.resolve(),
    stop: () => {
      for (const child of running) if (child.pid) process.kill(-child.pid, 'SIGTERM');
    },
  };
}
