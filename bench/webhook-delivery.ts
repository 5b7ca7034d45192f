// `npm run bench -- webhooks`: how fast committed events reach tenants' receivers, against a
// bare loop that POSTs the same bodies to the same receivers, measured in the same run.
//
// The platform's path, all of it real: an event committed into the outbox with `emitEvent`
// (the one function every flow emits with, here in a transaction of its own as the runtime
// role, row-level security on), the API's outbox dispatcher (every WEBHOOK_DISPATCH_INTERVAL,
// the product's default of 1 s unless --dispatch-interval says otherwise), signal-with-start
// of the endpoint's sequencer workflow, one `attemptWebhookDelivery` activity per event
// (reads, signs, POSTs through the guarded outbound client, records the attempt), then the
// next event. Events are emitted straight into the outbox rather than through an API route:
// delivery starts at the outbox row, and a route around it would only slow the emission
// down, so a burst would not be a backlog.
//
// The bare loop: the same bodies (read back from the outbox, built with the same envelope),
// signed the same way (Standard Webhooks headers with the endpoint's secret, at send time),
// POSTed with Node's fetch, one request in flight per endpoint as the sequencer keeps it; no
// database, no Temporal, no guard.
//
// The receivers: real HTTP servers on loopback in this process (tests/support/webhook-
// receiver.ts), one per endpoint, verifying every request with the `standardwebhooks`
// library. The benchmark fails if a request does not verify, or if an endpoint's events
// arrive out of commit order.
//
// Three scenarios, each with endpoints of its own (deleted afterwards), a warm-up (not
// counted), the platform's run and then the bare loop's:
//   - burst, one endpoint: --events committed at once; deliveries/s, latency p50/p95;
//   - burst, --endpoints endpoints subscribed to the same events (order is per endpoint, so
//     endpoints deliver side by side): deliveries/s (events × endpoints), latency;
//   - paced, one endpoint: --rate events/s for --duration s; the latency without a backlog.
//
// Latency: from the event's outbox row (`occurred_at`, its transaction's now(), a
// millisecond or two before the commit; the body's `timestamp`) to the receiver having the
// whole body; for the bare loop from the moment the event was available to it (the start
// of a burst, its slot in a paced run). Both clocks are this machine's: PostgreSQL must run
// here (ATRIUM_BENCH_POSTGRES_URL on loopback). In a burst, latency is mostly the wait in
// the queue. The machine is noisy: only the ratios compare between runs.
//
//   npm run bench -- webhooks                         100 events, 4 endpoints, 10/s for 10 s
//   npm run bench -- webhooks --events 500 --endpoints 8 --rate 20 --duration 20
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { WebhookEndpointWithSecret } from '../contracts/webhooks.ts';
import { createDataSource } from '../db/data-source.ts';
import { emitEvent } from '../db/repositories/event-outbox.ts';
import type { OutboxRow } from '../db/repositories/event-outbox.ts';
import { withTenantScope } from '../db/scope.ts';
import { envelopeOf } from '../integrations/webhooks/envelope.ts';
import { signDelivery } from '../integrations/webhooks/signing.ts';
import { freePort } from '../scripts/free-port.ts';
import { startTemporalDevServer } from '../scripts/temporal-dev-server.ts';
import type { WebhookReceiver } from '../tests/support/webhook-receiver.ts';
import { startWebhookReceiver } from '../tests/support/webhook-receiver.ts';
import { request, waitForOperation } from './support/api.ts';
import { cleanUpTo, onCleanup } from './support/cleanups.ts';
import { createBenchDatabase, seedUser, withClient } from './support/database.ts';
import { machineLine, percentile, ratio, table, writeResults } from './support/figures.ts';
import { positiveInt } from './support/options.ts';
import { startPlatform } from './support/platform.ts';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== 'webhooks'),
  options: {
    events: { type: 'string', default: '100' },
    endpoints: { type: 'string', default: '4' },
    rate: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    'dispatch-interval': { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '180' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npm run bench -- webhooks [--events 100] [--endpoints 4] [--rate 10] [--duration 10] [--warmup 5]\n' +
      "                                 [--dispatch-interval 1000] (ms; the API's WEBHOOK_DISPATCH_INTERVAL)\n" +
      "                                 [--timeout 180] (s to wait for a run's deliveries)\n" +
      'Env: ATRIUM_BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/postgres), a superuser, on this machine.',
  );
  process.exit(0);
}
const EVENTS = positiveInt('--events', args.events);
const ENDPOINTS = positiveInt('--endpoints', args.endpoints);
const RATE = positiveInt('--rate', args.rate);
const DURATION_S = positiveInt('--duration', args.duration);
const WARMUP = positiveInt('--warmup', args.warmup);
const DISPATCH_INTERVAL_MS = positiveInt('--dispatch-interval', args['dispatch-interval']);
const TIMEOUT_S = positiveInt('--timeout', args.timeout);

const SLUG = 'bench-webhooks';
/** What the endpoints subscribe to and the benchmark emits (a payload of a typical size). */
const EVENT_TYPE = 'member.role_changed';

// ------------------------------------------------------------------ set-up

async function setUp() {
  const temporal = await startTemporalDevServer({ port: await freePort(), uiPort: await freePort() });
  onCleanup(() => temporal.stop());
  const database = await createBenchDatabase();
  // Loopback receivers need what the tests set: loopback allowed by the outbound guard (API
  // and worker), plain http allowed for endpoint URLs (API).
  const platform = await startPlatform({
    database,
    temporalAddress: temporal.address,
    extraApiEnv: {
      OUTBOUND_ALLOW_LOOPBACK: 'true',
      WEBHOOK_ALLOW_INSECURE_URLS: 'true',
      WEBHOOK_DISPATCH_INTERVAL: `${DISPATCH_INTERVAL_MS}ms`,
    },
    extraWorkerEnv: { OUTBOUND_ALLOW_LOOPBACK: 'true' },
  });
  await platform.startWorker();
  const admin = await seedUser(database, platform.jwtKey, { email: 'admin@bench.test', platformAdmin: true });
  const owner = await seedUser(database, platform.jwtKey, { email: `owner@${SLUG}.test`, platformAdmin: false });

  const created = (await request(platform.baseUrl, 'POST', '/api/v1/tenants', admin.token, {
    slug: SLUG,
    name: 'Bench webhooks',
    plan: 'team',
    ownerEmail: `owner@${SLUG}.test`,
  })) as { operation: { id: string }; tenant: { id: string } };
  await waitForOperation(platform.baseUrl, admin.token, created.operation.id);
  const tenantId = created.tenant.id;
  await withClient(database.ownerUrl, (db) =>
    db.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING`, [
      tenantId,
      owner.userId,
    ]),
  );

  // The runtime role, as the API and the worker connect: emitEvent runs under row-level security.
  const app = createDataSource({ url: database.url, applicationName: 'atrium-bench-webhooks', poolSize: 2 });
  await app.initialize();
  onCleanup(() => app.destroy());
  return { baseUrl: platform.baseUrl, ownerToken: owner.token, ownerId: owner.userId, tenantId, app };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

// ------------------------------------------------------------------ endpoints, events, arrivals

/** An endpoint created through the API and the receiver behind it. */
interface Lane {
  endpointId: string;
  secret: string;
  receiver: WebhookReceiver;
}

async function createLanes(setup: Setup, count: number): Promise<Lane[]> {
  const lanes: Lane[] = [];
  for (let i = 0; i < count; i++) {
    const receiver = await startWebhookReceiver();
    onCleanup(() => receiver.stop());
    const created = WebhookEndpointWithSecret.parse(
      await request(setup.baseUrl, 'POST', `/api/v1/tenants/${SLUG}/webhooks`, setup.ownerToken, {
        url: receiver.url,
        description: `bench receiver ${i + 1}`,
        eventTypes: [EVENT_TYPE],
      }),
    );
    receiver.secrets = [created.secret];
    lanes.push({ endpointId: created.endpoint.id, secret: created.secret, receiver });
  }
  return lanes;
}

/** Deletes the endpoints, so the next scenario's events go to its own endpoints only. */
async function deleteLanes(setup: Setup, lanes: Lane[]): Promise<void> {
  for (const lane of lanes)
    await request(setup.baseUrl, 'DELETE', `/api/v1/tenants/${SLUG}/webhooks/${lane.endpointId}`, setup.ownerToken);
}

/** One event committed in a transaction of its own, as every flow emits; its id. */
async function emitOne(setup: Setup, n: number): Promise<string> {
  const roles = ['viewer', 'developer'] as const;
  const emitted = await withTenantScope(setup.app, setup.tenantId, (db) =>
    emitEvent(db, setup.tenantId, EVENT_TYPE, { userId: setup.ownerId, from: roles[n % 2]!, to: roles[(n + 1) % 2]! }),
  );
  return emitted.eventId;
}

/** The events as the outbox keeps them, in commit order. */
async function outboxRows(setup: Setup, eventIds: string[]): Promise<OutboxRow[]> {
  return withTenantScope(setup.app, setup.tenantId, (db) =>
    db.query<OutboxRow[]>(
      `SELECT id::text, event_id, tenant_id, type, version, payload, occurred_at, dispatched_at
       FROM event_outbox WHERE tenant_id = $1 AND event_id = ANY($2::uuid[]) ORDER BY id`,
      [setup.tenantId, eventIds],
    ),
  );
}

/**
 * Waits until every lane's receiver has every event; returns each lane's first arrival per
 * event (ms since the epoch) and how many requests came twice. Every request must have
 * verified and been answered 200, and each lane's events must have arrived in `eventIds`' order.
 */
async function arrivals(lanes: Lane[], eventIds: string[], what: string) {
  const wanted = new Set(eventIds);
  const got = (lane: Lane) => new Set(lane.receiver.requests.map(idOf).filter((id) => wanted.has(id))).size;
  const deadline = Date.now() + TIMEOUT_S * 1000;
  while (!lanes.every((lane) => got(lane) === eventIds.length)) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not every event arrived in ${TIMEOUT_S} s (${lanes.map(got).join(', ')} of ${eventIds.length})`,
      );
    await sleep(20);
  }
  let duplicates = 0;
  const perLane = lanes.map((lane, index) => {
    const first = new Map<string, number>();
    for (const received of lane.receiver.requests) {
      if (received.verifiedWith !== 0) throw new Error(`${what}: a request to endpoint ${index + 1} did not verify`);
      if (received.status !== 200) throw new Error(`${what}: endpoint ${index + 1} answered ${received.status}`);
      const id = idOf(received);
      if (!wanted.has(id)) continue; // a late repeat of a warm-up event
      if (first.has(id)) duplicates += 1;
      else first.set(id, received.receivedAt.getTime());
    }
    if ([...first.keys()].join() !== eventIds.join())
      throw new Error(`${what}: endpoint ${index + 1} got its events out of order`);
    return first;
  });
  return { perLane, duplicates };
}

const idOf = (received: { headers: Record<string, unknown> }) => String(received.headers['webhook-id']);

function resetReceivers(lanes: Lane[]): void {
  for (const lane of lanes) lane.receiver.requests.length = 0;
}

// ------------------------------------------------------------------ runs

type Mode = 'burst' | 'paced';

interface Scenario {
  name: string;
  mode: Mode;
  endpoints: number;
  events: number;
}

interface RunFigures {
  deliveries: number;
  /** From the first event's availability to the last arrival. */
  seconds: number;
  deliveriesPerSecond: number;
  p50: number;
  p95: number;
  max: number;
  /** Requests a receiver got again (at least once delivery: a retried activity resends). */
  duplicates: number;
}

function figures(latencies: number[], first: number, last: number, duplicates: number): RunFigures {
  latencies.sort((a, b) => a - b);
  const seconds = (last - first) / 1000;
  return {
    deliveries: latencies.length,
    seconds,
    deliveriesPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1)!,
    duplicates,
  };
}

/** When event `n` of a run becomes available: all at once in a burst, one per 1/RATE s paced. */
function slotOf(mode: Mode, start: number, n: number): number {
  return mode === 'burst' ? start : start + (n * 1000) / RATE;
}

async function platformRun(setup: Setup, scenario: Scenario, lanes: Lane[]) {
  const start = Date.now() + 50;
  const eventIds: string[] = [];
  for (let n = 0; n < scenario.events; n++) {
    const wait = slotOf(scenario.mode, start, n) - Date.now();
    if (wait > 0) await sleep(wait);
    eventIds.push(await emitOne(setup, n));
  }
  const { perLane, duplicates } = await arrivals(lanes, eventIds, `platform, ${scenario.name}`);
  const rows = await outboxRows(setup, eventIds);
  const committed = new Map(rows.map((row) => [row.event_id, row.occurred_at.getTime()]));
  const latencies = perLane.flatMap((first) => [...first].map(([id, at]) => at - committed.get(id)!));
  const lastArrival = Math.max(...perLane.flatMap((first) => [...first.values()]));
  return { rows, figures: figures(latencies, Math.min(...committed.values()), lastArrival, duplicates) };
}

/** The same bodies, signed the same way, POSTed to the same receivers: one in flight per endpoint. */
async function bareRun(scenario: Scenario, lanes: Lane[], rows: OutboxRow[]) {
  const bodies = rows.map((row) => ({ id: row.event_id, body: JSON.stringify(envelopeOf(row)) }));
  const start = Date.now() + 50;
  await Promise.all(
    lanes.map(async (lane) => {
      for (const [n, { id, body }] of bodies.entries()) {
        const wait = slotOf(scenario.mode, start, n) - Date.now();
        if (wait > 0) await sleep(wait);
        const sentAt = new Date();
        const response = await fetch(lane.receiver.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Atrium-Webhooks/1',
            ...signDelivery({ id, sentAt, body, secrets: [lane.secret] }),
          },
          body,
        });
        await response.text();
      }
    }),
  );
  const eventIds = bodies.map((b) => b.id);
  const { perLane, duplicates } = await arrivals(lanes, eventIds, `bare loop, ${scenario.name}`);
  const latencies = perLane.flatMap((first) =>
    eventIds.map((id, n) => first.get(id)! - slotOf(scenario.mode, start, n)),
  );
  const lastArrival = Math.max(...perLane.flatMap((first) => [...first.values()]));
  return figures(latencies, start, lastArrival, duplicates);
}

async function runScenario(setup: Setup, scenario: Scenario) {
  const log = (text: string) => process.stderr.write(text);
  log(`[bench webhooks] ${scenario.name}: ${scenario.endpoints} endpoint(s), warm-up...`);
  const lanes = await createLanes(setup, scenario.endpoints);
  const warmIds: string[] = [];
  for (let n = 0; n < WARMUP; n++) warmIds.push(await emitOne(setup, n));
  await arrivals(lanes, warmIds, `warm-up, ${scenario.name}`);
  resetReceivers(lanes);

  log(` platform, ${scenario.events} events...`);
  const platform = await platformRun(setup, scenario, lanes);
  resetReceivers(lanes);
  log(' bare loop...');
  const bare = await bareRun(scenario, lanes, platform.rows);
  await deleteLanes(setup, lanes);
  log(' done\n');
  return { platform: platform.figures, bare };
}

// ------------------------------------------------------------------ main

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);

let exitCode = 0;
try {
  process.stderr.write('[bench webhooks] starting Temporal, a database, the API and the worker...\n');
  const setup = await setUp();
  const scenarios: Scenario[] = [
    { name: 'burst, one endpoint', mode: 'burst', endpoints: 1, events: EVENTS },
    { name: `burst, ${ENDPOINTS} endpoints`, mode: 'burst', endpoints: ENDPOINTS, events: EVENTS },
    { name: `paced ${RATE}/s, one endpoint`, mode: 'paced', endpoints: 1, events: RATE * DURATION_S },
  ];
  const results: Array<{ scenario: Scenario; platform: RunFigures; bare: RunFigures }> = [];
  for (const scenario of scenarios) results.push({ scenario, ...(await runScenario(setup, scenario)) });

  const rows = [['scenario', 'run', 'events', 'deliveries', 'deliveries/s', 'ratio', 'p50', 'p95', 'ratio']];
  for (const { scenario, platform, bare } of results) {
    const cells = (f: RunFigures) => [String(f.deliveries), f.deliveriesPerSecond.toFixed(1)];
    rows.push([
      scenario.name,
      'bare loop',
      String(scenario.events),
      ...cells(bare),
      'baseline',
      ms(bare.p50),
      ms(bare.p95),
      'baseline',
    ]);
    rows.push([
      scenario.name,
      'platform',
      String(scenario.events),
      ...cells(platform),
      ratio(platform.deliveriesPerSecond, bare.deliveriesPerSecond),
      ms(platform.p50),
      ms(platform.p95),
      ratio(platform.p95, bare.p95),
    ]);
  }
  const duplicates = results.reduce((sum, r) => sum + r.platform.duplicates, 0);
  console.log(
    `\nWebhook delivery: events committed to the outbox, dispatched every ${DISPATCH_INTERVAL_MS} ms, delivered in order ` +
      `per endpoint to receivers on loopback verifying with standardwebhooks, against a bare loop POSTing the same bodies, ` +
      `signed the same way, one in flight per endpoint; ${machineLine()}\n` +
      `deliveries: events × endpoints; latency: from the outbox row (bare loop: from the event's availability) to the ` +
      `receiver having the body; ` +
      `ratio: deliveries/s, then p95, over the bare loop's; requests received twice: ${duplicates}\n`,
  );
  console.log(table(rows, 2));
  writeResults(
    'webhooks',
    {
      events: EVENTS,
      endpoints: ENDPOINTS,
      rate: RATE,
      durationS: DURATION_S,
      warmup: WARMUP,
      dispatchIntervalMs: DISPATCH_INTERVAL_MS,
      bareLoop: 'same bodies, signed the same way (Standard Webhooks, the endpoint secret), one in flight per endpoint',
    },
    results,
  );
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUpTo(0);
}
process.exit(exitCode);
