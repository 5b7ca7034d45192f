// The real servers some test files need (OpenBao, stripe-mock, a Kubernetes control
// plane, Jaeger), started through scripts/servers.sh for one `npm test` run and stopped after it.
// A test file asks for them in a comment near its top:
//
//   // @needs-servers: vault stripe kube jaeger
//
// Each run keeps its servers in a state folder of its own, so two runs never share (or
// stop) each other's servers. Their addresses reach the tests as ATRIUM_TEST_* variables
// (tests/support/servers.ts), never as VAULT_ADDR & co., so no process picks them up
// unless a test hands them over on purpose.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./servers.sh', import.meta.url));
export const SERVER_NAMES = ['vault', 'stripe', 'kube', 'jaeger'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

const MARKER = /^\s*\/\/\s*@needs-servers:\s*(.+)$/m;

/** How scripts/servers.sh's `env` names map to what the tests read. */
const TEST_VARIABLES: Record<string, string> = {
  VAULT_ADDR: 'ATRIUM_TEST_VAULT_ADDR',
  VAULT_TOKEN: 'ATRIUM_TEST_VAULT_TOKEN',
  VAULT_BIN: 'ATRIUM_TEST_VAULT_BIN',
  STRIPE_MOCK_HOST: 'ATRIUM_TEST_STRIPE_HOST',
  STRIPE_MOCK_PORT: 'ATRIUM_TEST_STRIPE_PORT',
  STRIPE_SECRET_KEY: 'ATRIUM_TEST_STRIPE_SECRET_KEY',
  KUBECONFIG: 'ATRIUM_TEST_KUBECONFIG',
  KUBECONFIG_LIMITED: 'ATRIUM_TEST_KUBECONFIG_LIMITED',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'ATRIUM_TEST_OTLP_ENDPOINT',
  JAEGER_QUERY_URL: 'ATRIUM_TEST_JAEGER_QUERY_URL',
};

/** The servers the given test files ask for (read from their `@needs-servers` comment). */
export function serversNeededBy(files: string[], root: string): ServerName[] {
  const needed = new Set<ServerName>();
  for (const file of files) {
    const head = readFileSync(join(root, file), 'utf8').slice(0, 2_000);
    const match = MARKER.exec(head);
    if (!match) continue;
    for (const name of (match[1] as string).split(/[\s,]+/).filter(Boolean)) {
      if (!(SERVER_NAMES as readonly string[]).includes(name))
        throw new Error(`${file}: unknown server "${name}" in @needs-servers (expected: ${SERVER_NAMES.join(', ')})`);
      needed.add(name as ServerName);
    }
  }
  return SERVER_NAMES.filter((name) => needed.has(name));
}

export interface TestServers {
  /** ATRIUM_TEST_* variables for the test processes. */
  env: Record<string, string>;
  stateDir: string;
  stop(): void;
}

/**
 * Builds what is missing, starts `names`, and returns their addresses. Asynchronous, so that
 * `npm test` goes on running the files that need no server meanwhile.
 */
export async function startTestServers(names: ServerName[]): Promise<TestServers> {
  const stateDir = mkdtempSync(join(tmpdir(), 'atrium-test-servers-'));
  const scriptEnv = { ...process.env, ATRIUM_SERVERS_STATE: stateDir };
  const stop = (): void => {
    execFileSync('bash', [SCRIPT, 'stop', ...names], { env: scriptEnv, stdio: 'inherit' });
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    // Progress (build, health waits) goes to stderr, which the person running the tests sees.
    await runScript(['start', ...names], scriptEnv, 'inherit');
    const printed = await runScript(['env', ...names], scriptEnv, 'pipe');
    return { env: toTestVariables(printed), stateDir, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Runs scripts/servers.sh; resolves with its standard output when `stdout` is 'pipe'. */
function runScript(args: string[], env: NodeJS.ProcessEnv, stdout: 'inherit' | 'pipe'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { env, stdio: ['ignore', stdout, 'inherit'] });
    let printed = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0
        ? resolve(printed)
        : reject(new Error(`scripts/servers.sh ${args.join(' ')} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/** `export NAME=value` lines (values quoted by bash's %q) → ATRIUM_TEST_* variables. */
export function toTestVariables(printed: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of printed.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const target = TEST_VARIABLES[match[1] as string];
    if (target) env[target] = (match[2] as string).replace(/\\(.)/g, '$1');
  }
  return env;
}
