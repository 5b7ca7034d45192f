// scripts/servers.sh start/stop: every server comes up healthy on loopback, and `stop`
// ends exactly the processes `start` launched and frees every port they listened on.
// Runs its own copy of the servers in a private state folder, so it never touches the ones
// `npm test` started for the other files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

const SCRIPT = fileURLToPath(new URL('../../scripts/servers.sh', import.meta.url));
const COLD_BUILD_TIMEOUT_MS = 40 * 60_000;

function servers(stateDir: string, ...args: string[]): string {
  return execFileSync('bash', [SCRIPT, ...args], {
    env: { ...process.env, ATRIUM_SERVERS_STATE: stateDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Pids recorded by `start`: each pid file holds "<pid> <start time> <executable>". */
function recordedPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const server of ['vault', 'stripe', 'kube']) {
    const dir = join(stateDir, server);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.pid'))) {
      pids.push(Number(readFileSync(join(dir, file), 'utf8').split(/\s+/)[0]));
    }
  }
  return pids;
}

/** Every TCP port the given processes listen on, read from the kernel (ss), not from our files. */
function listeningPorts(pids: number[]): number[] {
  const out = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  const ports = new Set<number>();
  for (const line of out.split('\n')) {
    const owners = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    if (!owners.some((pid) => pids.includes(pid))) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    ports.add(Number(local.slice(local.lastIndexOf(':') + 1)));
  }
  return [...ports].sort((a, b) => a - b);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('scripts/servers.sh start and stop', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'atrium-servers-lifecycle-'));

  before(
    () => {
      servers(stateDir, 'ensure'); // a cold machine builds here, once
    },
    { timeout: COLD_BUILD_TIMEOUT_MS },
  );
  after(() => {
    if (existsSync(stateDir)) {
      servers(stateDir, 'stop');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  let pids: number[] = [];
  let ports: number[] = [];

  test('start brings up vault, stripe and kube, healthy, on loopback only', () => {
    servers(stateDir, 'start');
    const status = servers(stateDir, 'status', 'vault', 'stripe', 'kube');
    for (const server of ['vault', 'stripe', 'kube'])
      assert.match(status, new RegExp(`^${server}\\s+running.*healthy$`, 'm'), status);
    pids = recordedPids(stateDir);
    assert.equal(
      pids.length,
      7,
      'bao, stripe-mock, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok',
    );
    assert.ok(pids.every(alive));
    ports = listeningPorts(pids);
    // bao: API + cluster; stripe-mock: HTTP; etcd: client + peer; apiserver; controller-manager;
    // scheduler; kwok.
    assert.ok(ports.length >= 9, `listening ports: ${ports.join(', ')}`);
    const bound = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => pids.some((pid) => line.includes(`pid=${pid},`)));
    for (const line of bound) assert.match(line, /\s127\.0\.0\.1:\d+\s/, `bound beyond loopback: ${line}`);
  });

  test("kube's fake nodes are Ready and status names every kube process", async () => {
    const status = servers(stateDir, 'status', 'kube');
    for (const process of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'])
      assert.match(status, new RegExp(` ${process} pid \\d+`), status);
    assert.match(status, /nodes kwok-node-1 kwok-node-2/);
    const kubeconfig = /^export KUBECONFIG=(.+)$/m.exec(servers(stateDir, 'env', 'kube'))?.[1];
    assert.ok(kubeconfig, 'env prints KUBECONFIG');
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfig.replace(/\\(.)/g, '$1'));
    const nodes = await config.makeApiClient(k8s.CoreV1Api).listNode();
    assert.deepEqual(
      nodes.items.map((node) => [
        node.metadata?.name,
        node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status,
        node.spec?.taints ?? [],
      ]),
      [
        ['kwok-node-1', 'True', []],
        ['kwok-node-2', 'True', []],
      ],
    );
  });

  test('start again is a no-op while they are healthy', () => {
    servers(stateDir, 'start');
    assert.deepEqual(recordedPids(stateDir).sort(), [...pids].sort());
  });

  test('env prints the variables that point a shell at them', () => {
    const env = servers(stateDir, 'env');
    for (const name of [
      'VAULT_ADDR',
      'VAULT_TOKEN',
      'STRIPE_MOCK_PORT',
      'STRIPE_SECRET_KEY',
      'KUBECONFIG',
      'KUBECONFIG_LIMITED',
    ])
      assert.match(env, new RegExp(`^export ${name}=`, 'm'));
  });

  test('stop leaves no process behind and every port free', async () => {
    servers(stateDir, 'stop');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(pids.filter(alive), [], 'processes still running after stop');
    const leftovers = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(stateDir));
    assert.deepEqual(leftovers, [], 'processes that mention the state folder');
    for (const port of ports) assert.ok(await refusesConnections(port), `port ${port} still accepts connections`);
    assert.doesNotMatch(servers(stateDir, 'status'), /running/);
  });
});
