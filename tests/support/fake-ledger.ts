// The fake ledger: a recording proxy in front of stripe-mock for the metering tests. stripe-mock
// validates every request against Stripe's API description but keeps nothing (it answers with
// fixtures), so what it cannot do — remember meter events and sum them for the read-back — is
// done here: every request is still forwarded to stripe-mock (its validation errors are passed
// back as they are), and then
//
// - POST /v1/billing/meter_events is counted as Stripe would: once per identifier (Stripe
//   deduplicates identifiers), refused when its timestamp is older than the ledger accepts
//   (Stripe: 35 days); and, on the test's command, dropped (accepted but never counted),
//   duplicated (counted twice) or delayed (counted only after a while);
// - POST /v1/billing/meter_event_adjustments (type cancel) removes every count of the identifier;
// - GET /v1/billing/meters/:id/event_summaries answers with the counted events of the customer
//   summed per hour (value_grouping_window=hour), in Stripe's list shape.
//
// The worker under test points STRIPE_API_HOST/PORT here (see `workerEnv`).
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stripeServer } from './servers.ts';

export interface LedgerEvent {
  identifier: string;
  eventName: string;
  customer: string;
  value: number;
  /** The event's timestamp (ms). */
  timestamp: number;
}

export interface LedgerRequest {
  method: string;
  path: string;
  /** The meter event or cancellation it carried. */
  identifier: string | null;
  status: number;
}

export interface LedgerRules {
  /** Accept the event but never count it (Stripe lost it). Asked once per identifier. */
  drop?: (event: LedgerEvent) => boolean;
  /** Count the event twice (Stripe double-counted it). Asked once per identifier. */
  duplicate?: (event: LedgerEvent) => boolean;
  /** Count it only this many ms after it arrived. */
  delayMs?: (event: LedgerEvent) => number;
}

export interface FakeLedger {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Every request, in order. */
  requests: LedgerRequest[];
  rules: LedgerRules;
  /** Events older than this are refused, as Stripe refuses events older than 35 days. */
  acceptAgeMs: number;
  /** Identifiers dropped and duplicated by the rules. */
  dropped: Set<string>;
  duplicated: Set<string>;
  /** Meter event POSTs so far (repeats of an identifier included). */
  meterEventPosts(): number;
  /** Cancellations so far. */
  adjustmentPosts(): number;
  /** What the ledger counts now for the customer, event and hour (ms of its start). */
  counted(customer: string, eventName: string, hourStart: number): number;
  /** The distinct identifiers counted now for the customer, event and hour. */
  identifiersIn(customer: string, eventName: string, hourStart: number): string[];
  /** Every counted entry (one per count: a duplicated identifier appears twice). */
  entries(): LedgerEvent[];
  /** Loses what is counted for the matching events (drift after the fact). */
  forget(predicate: (event: LedgerEvent) => boolean): number;
  /** STRIPE_* for the worker: the Stripe client talks to the ledger. */
  workerEnv(meters: Record<string, { id: string; event: string }>): Record<string, string>;
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export async function startFakeLedger(options: { meters: Record<string, string> }): Promise<FakeLedger> {
  const stripe = stripeServer();
  /** Meter id → event name. */
  const eventOfMeter = options.meters;
  const requests: LedgerRequest[] = [];
  const seen = new Set<string>();
  let counted: Array<LedgerEvent & { visibleAt: number }> = [];
  const dropped = new Set<string>();
  const duplicated = new Set<string>();

  // node:http with kept-alive connections rather than fetch: the ledger forwards every call of a
  // reconciliation run, and fetch's per-request machinery made it the benchmark's bottleneck.
  const upstreamAgent = new Agent({ keepAlive: true });
  function forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; body: string; type: string }> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name)) headers[name] = value;
    const withBody = req.method !== 'GET' && req.method !== 'DELETE';
    if (withBody) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: stripe.host,
          port: stripe.port,
          path: req.url,
          method: req.method ?? 'GET',
          headers,
          agent: upstreamAgent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              body: Buffer.concat(chunks).toString('utf8'),
              type: response.headers['content-type'] ?? 'application/json',
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(withBody ? body : undefined);
    });
  }

  function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
    res.writeHead(status, { 'content-type': type, 'request-id': `req_ledger_${requests.length}` });
    res.end(body);
  }

  function stripeError(res: ServerResponse, message: string, param: string): void {
    send(res, 400, JSON.stringify({ error: { type: 'invalid_request_error', message, param } }));
  }

  const ledger: FakeLedger = {
    url: '',
    port: 0,
    requests,
    rules: {},
    acceptAgeMs: 35 * 86_400_000,
    dropped,
    duplicated,
    meterEventPosts: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/billing/meter_events').length,
    adjustmentPosts: () =>
      requests.filter((r) => r.method === 'POST' && r.path === '/v1/billing/meter_event_adjustments').length,
    counted: (customer, eventName, hourStart) =>
      visible()
        .filter((e) => e.customer === customer && e.eventName === eventName && hourOf(e.timestamp) === hourStart)
        .reduce((sum, e) => sum + e.value, 0),
    identifiersIn: (customer, eventName, hourStart) => [
      ...new Set(
        visible()
          .filter((e) => e.customer === customer && e.eventName === eventName && hourOf(e.timestamp) === hourStart)
          .map((e) => e.identifier),
      ),
    ],
    entries: () => visible().map(({ visibleAt: _visibleAt, ...event }) => event),
    forget(predicate) {
      const before = counted.length;
      counted = counted.filter((e) => !predicate(e));
      return before - counted.length;
    },
    workerEnv: (meters) => ({
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(ledger.port),
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_PRICES: JSON.stringify({ free: 'price_free', team: 'price_team', enterprise: 'price_enterprise' }),
      STRIPE_METERS: JSON.stringify(meters),
    }),
    stop: () =>
      new Promise((resolve) => {
        upstreamAgent.destroy();
        server.close(() => resolve());
      }),
  };

  function visible() {
    const now = Date.now();
    return counted.filter((e) => e.visibleAt <= now);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://ledger');
    const record: LedgerRequest = { method: req.method ?? 'GET', path: url.pathname, identifier: null, status: 0 };
    requests.push(record);
    const upstreamAnswer = await forward(req, body);
    // stripe-mock refused the request (it does not match Stripe's API): that is the answer.
    if (upstreamAnswer.status >= 400) {
      record.status = upstreamAnswer.status;
      send(res, upstreamAnswer.status, upstreamAnswer.body, upstreamAnswer.type);
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    if (req.method === 'POST' && url.pathname === '/v1/billing/meter_events') {
      const event: LedgerEvent = {
        identifier: form.get('identifier') ?? '',
        eventName: form.get('event_name') ?? '',
        customer: form.get('payload[stripe_customer_id]') ?? '',
        value: Number(form.get('payload[value]')),
        timestamp: Number(form.get('timestamp')) * 1000,
      };
      record.identifier = event.identifier;
      if (event.timestamp < Date.now() - ledger.acceptAgeMs) {
        record.status = 400;
        stripeError(res, 'Timestamp must be within the past 35 calendar days.', 'timestamp');
        return;
      }
      if (!seen.has(event.identifier)) {
        seen.add(event.identifier);
        const visibleAt = Date.now() + (ledger.rules.delayMs?.(event) ?? 0);
        if (ledger.rules.drop?.(event)) dropped.add(event.identifier);
        else {
          counted.push({ ...event, visibleAt });
          if (ledger.rules.duplicate?.(event)) {
            duplicated.add(event.identifier);
            counted.push({ ...event, visibleAt });
          }
        }
      }
      record.status = 200;
      send(
        res,
        200,
        JSON.stringify({
          object: 'billing.meter_event',
          created: Math.floor(Date.now() / 1000),
          event_name: event.eventName,
          identifier: event.identifier,
          livemode: false,
          payload: { stripe_customer_id: event.customer, value: String(event.value) },
          timestamp: event.timestamp / 1000,
        }),
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/billing/meter_event_adjustments') {
      const identifier = form.get('cancel[identifier]') ?? '';
      record.identifier = identifier;
      counted = counted.filter((e) => e.identifier !== identifier);
      record.status = 200;
      send(
        res,
        200,
        JSON.stringify({
          object: 'billing.meter_event_adjustment',
          cancel: { identifier },
          event_name: form.get('event_name'),
          livemode: false,
          status: 'complete',
          type: 'cancel',
        }),
      );
      return;
    }
    const summaries = /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/.exec(url.pathname);
    if (req.method === 'GET' && summaries) {
      const meterId = decodeURIComponent(summaries[1]!);
      const eventName = eventOfMeter[meterId];
      const customer = url.searchParams.get('customer') ?? '';
      const start = Number(url.searchParams.get('start_time')) * 1000;
      const end = Number(url.searchParams.get('end_time')) * 1000;
      const hours = new Map<number, number>();
      for (const e of visible())
        if (e.eventName === eventName && e.customer === customer && e.timestamp >= start && e.timestamp < end)
          hours.set(hourOf(e.timestamp), (hours.get(hourOf(e.timestamp)) ?? 0) + e.value);
      const data = [...hours.entries()]
        .sort(([a], [b]) => a - b)
        .map(([hour, value]) => ({
          id: `mtrusum_${meterId}_${customer}_${hour / 1000}`,
          object: 'billing.meter_event_summary',
          aggregated_value: value,
          start_time: hour / 1000,
          end_time: (hour + HOUR_MS) / 1000,
          livemode: false,
          meter: meterId,
        }));
      record.status = 200;
      send(res, 200, JSON.stringify({ object: 'list', data, has_more: false, url: url.pathname }));
      return;
    }
    record.status = upstreamAnswer.status;
    send(res, upstreamAnswer.status, upstreamAnswer.body, upstreamAnswer.type);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 502, JSON.stringify({ error: { type: 'api_error', message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ledger.port = (server.address() as AddressInfo).port;
  ledger.url = `http://127.0.0.1:${ledger.port}`;
  return ledger;
}

function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}
