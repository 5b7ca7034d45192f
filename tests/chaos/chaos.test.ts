// The chaos suite: N mixed tenant operations (provisioning, suspension, reactivation,
// offboarding) run through the API while faults are injected at seeded random moments: the
// worker is SIGKILLed and started again, the suite's own Temporal dev server (its state in a
// SQLite file, so it survives) is restarted on the same port, and the API's and worker's
// PostgreSQL sessions are terminated mid-request. Every operation must end in its expected
// state, and no side effect may be duplicated: one tenant row, schema, login role, password
// version, billing customer and subscription per tenant, and each audited change once.
//
// `npm test` runs the short form (CHAOS_OPERATIONS, default 6); `npm run test:chaos` the long
// one (CHAOS_FORM=long: 30 operations and more faults). The seed is printed; CHAOS_SEED=<n>
// replays a run's choices (the faults' effects still depend on timing).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../scripts/free-port.ts';
import type { TemporalDevServer } from '../../scripts/temporal-dev-server.ts';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server.ts';
import { operationPath, request, uniqueSlug } from '../support/api-client.ts';
import type { JsonResponse } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { createRandom } from './random.ts';
import type { Random } from './random.ts';

/** What a form of the suite does: how many operations, and how many faults of each kind. */
const FORMS = {
  short: { operations: 6, workerKills: 3, temporalRestarts: 1, backendTerminations: 3 },
  long: { operations: 30, workerKills: 12, temporalRestarts: 2, backendTerminations: 10 },
} as const;

/** The workflows a chain runs, one after the other, on one tenant; the last decides its end state. */
const CHAINS = {
  provision: { steps: ['provision'], finalStatus: 'active' },
  suspend: { steps: ['provision', 'suspend'], finalStatus: 'suspended' },
  reactivate: { steps: ['provision', 'suspend', 'reactivate'], finalStatus: 'active' },
  offboard: { steps: ['provision', 'offboard'], finalStatus: 'offboarded' },
} as const;
type ChainKind = keyof typeof CHAINS;
type Step = (typeof CHAINS)[ChainKind]['steps'][number];

interface Chain {
  kind: ChainKind;
  slug: string;
  /** Milliseconds after the suite's start at which the chain begins. */
  startsAfterMs: number;
  tenantId?: string;
  /** Each started operation's id and how it ended. */
  operations: Array<{ step: Step; id: string; status?: string }>;
}

const form = FORMS[testEnv.CHAOS_FORM];
const operationCount = testEnv.CHAOS_OPERATIONS ?? form.operations;
const seed = testEnv.CHAOS_SEED ?? Math.floor(Math.random() * 0xffffffff);
// Room for the faults' retries: a killed activity waits out its heartbeat timeout, and a
// restarted worker needs time to start (a minute on a loaded two-core machine when it bundles
// its workflows itself, outside `npm test`).
const suiteTimeoutMs = 120_000 + operationCount * 10_000 + (form.workerKills + form.temporalRestarts) * 60_000;

describe(`chaos: ${operationCount} operations under faults (${testEnv.CHAOS_FORM} form)`, () => {
  const random = createRandom(seed);
  let platform: Platform;
  let temporal: TemporalDevServer;
  let temporalPorts: { port: number; uiPort: number };
  let stateDir: string;
  const log: string[] = [];
  /** Steps started or closed so far: faults wait for the platform to move between them. */
  let progress = 0;
  /** Every worker started, for the failure report. */
  const workers: Array<Platform['worker']> = [];
  const note = (line: string): void => {
    log.push(`${new Date().toISOString()} ${line}`);
  };

  before(async () => {
    console.log(`chaos: seed ${seed} (CHAOS_SEED=${seed} to replay), ${operationCount} operations`);
    stateDir = mkdtempSync(join(tmpdir(), 'atrium-chaos-'));
    temporalPorts = { port: await freePort(), uiPort: await freePort() };
    temporal = await startOwnTemporal();
    platform = await startPlatform({
      temporalAddress: temporal.address,
      env: { OFFBOARD_GRACE_PERIOD: '1h' },
    });
    workers.push(platform.worker);
  });
  after(async () => {
    await platform?.stop();
    await temporal?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** The suite's own dev server, its state in the same SQLite file every time. */
  function startOwnTemporal(): Promise<TemporalDevServer> {
    return startTemporalDevServer({ ...temporalPorts, dbFile: join(stateDir, 'temporal.db') });
  }

  it(
    'ends every operation in its expected state, with no side effect duplicated',
    { timeout: suiteTimeoutMs },
    async () => {
      const chains = planChains(random, operationCount);
      note(`chains: ${chains.map((c) => `${c.slug}:${c.kind}@${c.startsAfterMs}ms`).join(', ')}`);
      let running = true;
      const started = Date.now();
      const chainsDone = Promise.allSettled(chains.map((chain) => runChain(chain))).finally(() => {
        running = false;
      });
      const faults = injectFaults(() => running);
      const [results, injected] = await Promise.all([chainsDone, faults]);
      console.log(`chaos: operations done in ${Date.now() - started} ms; faults: ${injected.join(', ')}`);

      try {
        const failed = results.flatMap((result, i) =>
          result.status === 'rejected' ? [`${chains[i]!.slug}: ${String(result.reason)}`] : [],
        );
        assert.deepEqual(failed, [], 'every chain ran to its end');
        assert.ok(
          injected.includes('temporal-restart') && injected.includes('worker-kill'),
          `the worker was killed and Temporal restarted while operations ran: ${injected.join(', ')}`,
        );
        for (const chain of chains) await expectEndState(chain);
      } catch (error) {
        console.log(`chaos: seed ${seed}; what happened:\n${log.join('\n')}`);
        for (const [i, worker] of workers.entries())
          console.log(`chaos: worker ${i + 1} output (end):\n${worker.output().slice(-3_000)}`);
        console.log(`chaos: API output (end):\n${platform.api.output().slice(-3_000)}`);
        throw error;
      }
    },
  );

  /** Kinds round-robin first, so every workflow is in even the shortest run; then at random. */
  function planChains(rng: Random, count: number): Chain[] {
    const kinds = Object.keys(CHAINS) as ChainKind[];
    const spreadMs = 4_000 + count * 400;
    return Array.from({ length: count }, (_, i) => ({
      kind: i < kinds.length ? kinds[i]! : rng.pick(kinds),
      slug: uniqueSlug(`chaos-${i}`),
      startsAfterMs: rng.int(0, spreadMs),
      operations: [],
    }));
  }

  async function runChain(chain: Chain): Promise<void> {
    await sleep(chain.startsAfterMs);
    for (const step of CHAINS[chain.kind].steps) {
      const id = await startStep(chain, step);
      const entry: Chain['operations'][number] = { step, id };
      chain.operations.push(entry);
      note(`${chain.slug}: ${step} started (${id})`);
      progress += 1;
      entry.status = await waitUntilClosed(id);
      note(`${chain.slug}: ${step} ${entry.status}`);
      progress += 1;
      if (entry.status !== 'completed') throw new Error(`${step} of ${chain.slug} ended ${entry.status}`);
    }
  }

  async function startStep(chain: Chain, step: Step): Promise<string> {
    const tenant = `/api/v1/tenants/${chain.slug}`;
    const calls: Record<Step, [string, unknown]> = {
      provision: [
        '/api/v1/tenants',
        { slug: chain.slug, name: `Chaos ${chain.slug}`, ownerEmail: `owner@${chain.slug}.test` },
      ],
      suspend: [`${tenant}/suspend`, { reason: 'Chaos suite' }],
      reactivate: [`${tenant}/reactivate`, {}],
      offboard: [`${tenant}/offboard`, { reason: 'Chaos suite', gracePeriod: '2s' }],
    };
    const [path, json] = calls[step];
    // The same key on every retry: a request whose answer was lost to a fault is not started twice.
    const answer = await postUntilAnswered(path, json, `chaos-${chain.slug}-${step}`);
    assert.equal(answer.status, 202, `${step} of ${chain.slug}: ${JSON.stringify(answer.body)}`);
    if (step === 'provision') chain.tenantId = answer.body.tenant.id as string;
    return answer.body.operation.id as string;
  }

  /**
   * A client's behaviour under faults: a refused connection, a 5xx or a key still in
   * progress is retried with the same Idempotency-Key; any other answer is the answer.
   */
  async function postUntilAnswered(path: string, json: unknown, key: string): Promise<JsonResponse> {
    const deadline = Date.now() + 120_000;
    for (let attempt = 1; ; attempt++) {
      let outcome: string;
      try {
        const answer = await request(platform.baseUrl, 'POST', path, {
          json,
          headers: { ...platform.admin.headers, 'idempotency-key': key },
        });
        const retryable =
          answer.status >= 500 || answer.body?.type === 'urn:atrium:problem:idempotency-key-in-progress';
        if (!retryable) return answer;
        outcome = `${answer.status} ${answer.body?.type ?? ''} ${answer.body?.detail ?? ''}`;
      } catch (error) {
        outcome = String(error);
      }
      note(`POST ${path} attempt ${attempt}: ${outcome}`);
      if (Date.now() > deadline) throw new Error(`POST ${path} never answered: ${outcome}`);
      await sleep(500);
    }
  }

  /** Until the operation closes, or the suite's own timeout: how long depends on the faults. */
  async function waitUntilClosed(id: string): Promise<string> {
    const deadline = Date.now() + suiteTimeoutMs;
    let last: string;
    for (;;) {
      try {
        const answer = await request(platform.baseUrl, 'GET', operationPath(id), { headers: platform.admin.headers });
        if (answer.status === 200 && answer.body.status !== 'running') return answer.body.status as string;
        last = `${answer.status} ${JSON.stringify(answer.body)}`;
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline) throw new Error(`operation ${id} not closed: ${last}`);
      await sleep(300);
    }
  }

  /**
   * The planned faults, shuffled, at random moments while chains run (after that, none:
   * a fault with nothing in flight proves nothing). Between two faults the platform must
   * have moved (a step started or closed): on a loaded machine a restarted worker takes a
   * while to start, and faults faster than that would only prove that
   * nothing moves while the worker is down. Returns what was injected, in order.
   */
  async function injectFaults(operationsRunning: () => boolean): Promise<string[]> {
    const planned = random.shuffle([
      ...Array<string>(form.workerKills).fill('worker-kill'),
      ...Array<string>(form.backendTerminations).fill('backend-termination'),
    ]);
    // Temporal's restarts first or second, so they happen while operations run: on a quiet
    // machine the short form's six operations can end after three faults.
    for (let i = 0; i < form.temporalRestarts; i++) planned.splice(random.int(0, 1), 0, 'temporal-restart');
    const injected: string[] = [];
    await sleep(random.int(500, 1_500));
    for (const fault of planned) {
      if (!operationsRunning()) break;
      await inject(fault);
      injected.push(fault);
      await keepWorkerRunning();
      await untilProgressSince(progress, operationsRunning);
      await sleep(random.int(300, 2_500));
    }
    await keepWorkerRunning();
    return injected;
  }

  async function untilProgressSince(seen: number, operationsRunning: () => boolean): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (progress === seen && operationsRunning() && Date.now() < deadline) {
      await sleep(200);
      await keepWorkerRunning();
    }
  }

  async function inject(fault: string): Promise<void> {
    if (fault === 'worker-kill') {
      await platform.worker.kill();
      note('fault: worker SIGKILLed');
      await sleep(random.int(0, 1_500));
      await startWorkerWhenPossible();
    } else if (fault === 'temporal-restart') {
      await temporal.stop();
      note('fault: Temporal dev server stopped');
      await sleep(random.int(500, 2_000));
      temporal = await startOwnTemporal();
      note('fault: Temporal dev server started again on the same port and file');
    } else {
      // Only this platform's own sessions (the API's and the worker's pools), on this database.
      const ended = await platform.database.query<{ application_name: string; state: string }>(
        `SELECT application_name, state FROM pg_stat_activity
         WHERE datname = $1 AND application_name LIKE 'atrium-%' AND application_name NOT LIKE 'atrium-test%'
           AND pid <> pg_backend_pid() AND pg_terminate_backend(pid)`,
        [platform.database.name],
      );
      note(
        `fault: terminated ${ended.length} backends (${ended.map((b) => `${b.application_name}/${b.state}`).join(', ')})`,
      );
    }
  }

  /** A worker that died on its own (e.g. while Temporal was away) is started again. */
  async function keepWorkerRunning(): Promise<void> {
    const worker = platform.worker.process;
    if (worker.exitCode === null && worker.signalCode === null) return;
    note(`worker had exited (${worker.exitCode ?? worker.signalCode}): ${platform.worker.output().slice(-1_000)}`);
    await startWorkerWhenPossible();
  }

  async function startWorkerWhenPossible(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        workers.push(await platform.startWorker());
        note('worker started');
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        note(`worker did not start (attempt ${attempt}): ${String(error).slice(0, 500)}`);
        await sleep(1_000);
      }
    }
  }

  async function expectEndState(chain: Chain): Promise<void> {
    const { slug, tenantId } = chain;
    const label = `${slug} (${chain.kind})`;
    const expected = CHAINS[chain.kind];
    assert.deepEqual(
      chain.operations.map((o) => [o.step, o.status]),
      expected.steps.map((step) => [step, 'completed']),
      `${label}: every operation completed`,
    );
    for (const { id } of chain.operations) {
      const operation = await request(platform.baseUrl, 'GET', operationPath(id), { headers: platform.admin.headers });
      assert.equal(operation.body.status, 'completed', `${label}: ${id} through the API`);
    }

    const tenants = await platform.database.query(`SELECT id, status FROM tenants WHERE slug = $1`, [slug]);
    assert.deepEqual(tenants, [{ id: tenantId, status: expected.finalStatus }], `${label}: one tenant row`);

    const gone = chain.kind === 'offboard';
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    const count = async (sql: string, params: unknown[]) =>
      (await platform.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;
    assert.equal(await count(`pg_namespace WHERE nspname = $1`, [schema]), gone ? 0 : 1, `${label}: schema`);
    assert.equal(await count(`pg_roles WHERE rolname = $1`, [`${schema}_login`]), gone ? 0 : 1, `${label}: role`);
    assert.equal(
      await count(`local_secrets WHERE path = $1`, [`tenants/${slug}/database`]),
      gone ? 0 : 1,
      `${label}: one version of the database password`,
    );
    const customers = await platform.database.query<{ deleted: boolean }>(
      `SELECT deleted_at IS NOT NULL AS deleted FROM local_billing_customers WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.deepEqual(customers, [{ deleted: gone }], `${label}: one billing customer`);
    const subscriptions = await platform.database.query<{ status: string }>(
      `SELECT status FROM local_billing_subscriptions WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.deepEqual(subscriptions, [{ status: gone ? 'canceled' : 'active' }], `${label}: one subscription`);

    // Each workflow of the chain ran once, so every change it audits is audited once.
    const audited = await platform.database.query<{ action: string; n: number }>(
      `SELECT action, count(*)::int AS n FROM audit_log WHERE tenant_id = $1 GROUP BY action ORDER BY action`,
      [tenantId],
    );
    assert.deepEqual(
      audited.filter((a) => a.n !== 1),
      [],
      `${label}: no change audited twice: ${JSON.stringify(audited)}`,
    );
    const actions = audited.map((a) => a.action);
    const landmarks = {
      provision: 'tenant.activated',
      suspend: 'tenant.suspended',
      reactivate: 'tenant.reactivated',
      offboard: 'tenant.offboarded',
    } as const;
    for (const step of expected.steps)
      assert.ok(actions.includes(landmarks[step]), `${label}: ${landmarks[step]} in ${actions.join(', ')}`);
  }
});
