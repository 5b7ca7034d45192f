// syncConnection's steps: record the run, page through the provider's API and store the
// records, record how the run ended. The paging activity is the one that matters: it reads the
// connection's current token reference (and asks maintainConnection for a refresh, through its
// Update, only when the token is near expiry or the provider refused it), heartbeats with the
// page cursor so that a retried attempt resumes from the last page, waits out `429` +
// `Retry-After`, and commits each page's records together with the run's counts, keyed by the
// page's number, so a page done twice is stored and counted once (ADR 0014).
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { FetchedRecord, SyncCounts } from '../../db/repositories/connector-syncs.ts';
import {
  beginSyncRun,
  finishSyncRun,
  findSync,
  findSyncRun,
  recordLastSync,
  recordSyncPage,
  upsertRecords,
} from '../../db/repositories/connector-syncs.ts';
import { findConnection } from '../../db/repositories/connectors.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { CatalogProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import { addLogContext } from '../../logging/context.ts';
import type { SyncPageProgress } from '../../workflows/connectors/contract.ts';
import {
  maintainConnectionWorkflowId,
  requestTokenRefreshUpdate,
  SYNC_FAILURE_TYPES,
} from '../../workflows/connectors/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { translatingFailures } from '../shared/failures.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { resolveProvider } from './provider-settings.ts';
import { insertUsageEvents } from '../../db/repositories/usage-events.ts';

/** A token with less than this left is refreshed (through maintainConnection) before a page. */
export const SYNC_TOKEN_MIN_VALIDITY_MS = 30_000;
/** The longest `Retry-After` waited out inside an attempt; a longer one fails the attempt (retried later). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** A `429` without `Retry-After` waits this long. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
const HEARTBEAT_INTERVAL_MS = 1_000;

export interface SyncDeps {
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'outbound' | 'temporal'>;
  catalog: ReadonlyMap<string, CatalogProviderDefinition>;
}

interface RunInput {
  tenantId: string;
  connectionId: string;
  syncId: string;
  /** The run's workflow ID: the key of its row. */
  workflowId: string;
}

function refused(message: string, type: string = SYNC_FAILURE_TYPES.providerRefused): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

export function createSyncActivities({ deps, catalog }: SyncDeps) {
  const { dataSource, secretStore, outbound, temporal } = deps;

  return {
    /**
     * Records the run as running. Retry-safe: the run's row is keyed by its workflow ID (created
     * if absent). A sync deleted since its schedule fired fails the run at once.
     */
    async beginSyncRun(input: RunInput): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db }) => {
        const sync = await findSync(db, input.tenantId, input.connectionId, input.syncId);
        if (!sync) throw refused(`The sync ${input.syncId} no longer exists.`, SYNC_FAILURE_TYPES.syncMissing);
        await beginSyncRun(db, {
          workflow_id: input.workflowId,
          tenant_id: input.tenantId,
          sync_id: input.syncId,
          connection_id: input.connectionId,
        });
      });
    },

    /**
     * Records how the run ended, on the run, the sync and the connection; answers the counts.
     * Not audited: runs are routine (every few minutes per sync) and the run history is their
     * record. Retry-safe: setting the same outcome twice changes nothing.
     */
    async finishSyncRun(
      input: RunInput & { status: 'succeeded' | 'failed'; error: string | null },
    ): Promise<{ counts: SyncCounts }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const run = await finishSyncRun(db, input.tenantId, input.workflowId, {
          status: input.status,
          error: input.error,
        });
        if (!run) return { counts: { fetched: 0, created: 0, updated: 0, unchanged: 0 } };
        await recordLastSync(db, run);
        // Metered as usage (`sync.records`), once per run: the event's id is the run's workflow id, hashed.
        if (run.fetched > 0)
          await insertUsageEvents(db, input.tenantId, [
            {
              eventId: `atrium.sync.${createHash('sha256').update(input.workflowId).digest('hex').slice(0, 40)}`,
              meter: 'sync.records',
              quantity: run.fetched,
              occurredAt: new Date(),
              attributes: { sync: run.sync_id },
            },
          ]);
        return {
          counts: { fetched: run.fetched, created: run.created, updated: run.updated, unchanged: run.unchanged },
        };
      });
    },

    /**
     * Pages through `<apiBaseUrl><resourcePath>` and upserts the records. Retry-safe: a page's
     * records and the run's counts commit together under the page's number, and a page already
     * recorded is not stored or counted again; a retried attempt resumes from the cursor of its
     * last heartbeat (or the run's row, if that is further).
     */
    async fetchSyncPages(input: RunInput & { slug: string }): Promise<{ pages: number }> {
      addLogContext({ tenantId: input.tenantId });
      const context = Context.current();
      return translatingFailures(async () => {
        const setup = await withTenantScope(dataSource, input.tenantId, async (db) => {
          const sync = await findSync(db, input.tenantId, input.connectionId, input.syncId);
          const connection = await findConnection(db, input.tenantId, input.connectionId);
          const run = await findSyncRun(db, input.tenantId, input.workflowId, { lock: false });
          const provider = connection ? await resolveProvider(db, catalog, input.tenantId, connection.provider) : null;
          return { sync, connection, run, provider };
        });
        if (!setup.sync || !setup.run)
          throw refused(`The sync ${input.syncId} no longer exists.`, SYNC_FAILURE_TYPES.syncMissing);
        if (!setup.provider?.definition.apiBaseUrl)
          throw refused('The provider has no API base URL, so there is nothing to page through.');
        const base = new URL(setup.provider.definition.apiBaseUrl);
        const first = new URL(`${base.href.replace(/\/$/, '')}${setup.sync.resource_path}`);

        // Where to start: the last heartbeat's page, or the run's row when it got further (a page
        // that committed after the last heartbeat reached the server).
        const reported = context.info.heartbeatDetails as SyncPageProgress | undefined;
        let progress: SyncPageProgress = { page: 0, cursor: null };
        let resumedFrom = 'heartbeat';
        if (reported && typeof reported.page === 'number') progress = reported;
        if (setup.run.pages > progress.page) {
          progress = { page: setup.run.pages, cursor: setup.run.next_cursor };
          resumedFrom = 'run row';
        }
        if (progress.page > 0) {
          context.log.info('Resuming the sync', { syncId: input.syncId, fromPage: progress.page + 1, resumedFrom });
          if (progress.cursor === null) return { pages: progress.page };
        }

        const beat = () => context.heartbeat(progress);
        beat();
        const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
        const tokens = tokenSource(input);
        try {
          const paging = (async () => {
            for (;;) {
              const url = progress.cursor === null ? first : sameApi(base, progress.cursor);
              const page = await fetchPage(url, tokens, context);
              const number = progress.page + 1;
              await storePage(input, number, page);
              progress = { page: number, cursor: page.next };
              beat();
              if (page.next === null) return { pages: number };
            }
          })();
          paging.catch(() => {});
          return await Promise.race([paging, context.cancelled]);
        } finally {
          clearInterval(timer);
        }
      });
    },
  };

  /** The connection's current access token; refreshed through maintainConnection only when needed. */
  function tokenSource(input: RunInput & { slug: string }) {
    let current: { token: string; expiresAt: number | null } | null = null;
    const maintenance = () => temporal.workflow.getHandle(maintainConnectionWorkflowId(input.slug, input.connectionId));

    async function read(): Promise<{ path: string; expiresAt: number | null }> {
      const connection = await withTenantScope(dataSource, input.tenantId, (db) =>
        findConnection(db, input.tenantId, input.connectionId),
      );
      if (!connection || connection.status !== 'active' || !connection.token_path)
        throw refused(
          `The connection is ${connection?.status ?? 'gone'}; the sync runs again once it is connected.`,
          SYNC_FAILURE_TYPES.connectionUnavailable,
        );
      return { path: connection.token_path, expiresAt: connection.token_expires_at?.getTime() ?? null };
    }

    async function refreshed(minValidityMs: number): Promise<{ path: string; expiresAt: number | null }> {
      try {
        const reference = await maintenance().executeUpdate(requestTokenRefreshUpdate, {
          args: [{ minValidityMs: Math.min(minValidityMs, 3_600_000) }],
        });
        return {
          path: reference.tokenPath,
          expiresAt: reference.expiresAt === null ? null : Date.parse(reference.expiresAt),
        };
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError)
          throw refused(
            `The connection's token could not be refreshed: ${error.cause instanceof Error ? error.cause.message : error.message}`,
            SYNC_FAILURE_TYPES.connectionUnavailable,
          );
        throw error;
      }
    }

    async function load(reference: { path: string; expiresAt: number | null }): Promise<string> {
      const stored = await secretStore.read(reference.path);
      const token = stored?.data.access_token;
      if (!token) throw refused('The connection has no access token stored.', SYNC_FAILURE_TYPES.connectionUnavailable);
      current = { token, expiresAt: reference.expiresAt };
      return token;
    }

    const nearExpiry = (expiresAt: number | null) =>
      expiresAt !== null && expiresAt - Date.now() < SYNC_TOKEN_MIN_VALIDITY_MS;

    return {
      async get(): Promise<string> {
        if (current && !nearExpiry(current.expiresAt)) return current.token;
        let reference = await read();
        if (nearExpiry(reference.expiresAt)) reference = await refreshed(SYNC_TOKEN_MIN_VALIDITY_MS);
        return load(reference);
      },
      /** The provider refused the token (401): one refresh, asked for a token newer than this one. */
      async renew(): Promise<string> {
        const left = current?.expiresAt == null ? 0 : Math.max(0, current.expiresAt - Date.now());
        return load(await refreshed(left + 1_000));
      },
    };
  }

  async function fetchPage(
    url: URL,
    tokens: { get(): Promise<string>; renew(): Promise<string> },
    context: Context,
  ): Promise<{ records: FetchedRecord[]; next: string | null }> {
    let renewed = false;
    for (;;) {
      const token = renewed ? await tokens.renew() : await tokens.get();
      const response = await outbound(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status === 401 && !renewed) {
        await response.body?.cancel();
        renewed = true;
        continue;
      }
      if (response.status === 429) {
        await response.body?.cancel();
        const waitMs = retryAfterMs(response.headers.get('retry-after'));
        if (waitMs > MAX_RETRY_AFTER_MS)
          throw new Error(
            `The provider asks to wait ${Math.round(waitMs / 1000)} s (429); the attempt is retried later.`,
          );
        context.log.info('Rate limited by the provider; waiting', { waitMs, url: url.pathname });
        await Promise.race([sleep(waitMs), context.cancelled]);
        continue;
      }
      if (response.status === 401)
        throw refused(
          "The provider refused the connection's token (401) even after a refresh; reconnect it.",
          SYNC_FAILURE_TYPES.connectionUnavailable,
        );
      if (response.status >= 500)
        throw new Error(`The provider answered ${response.status} for ${url.pathname}; retried.`);
      if (!response.ok) {
        await response.body?.cancel();
        throw refused(`The provider answered ${response.status} for ${url.pathname}.`);
      }
      const body = (await response.json().catch(() => {
        throw refused(`The provider answered ${url.pathname} with something that is not JSON.`);
      })) as unknown;
      return { records: recordsOf(body, url), next: nextPage(body, response.headers.get('link'), url) };
    }
  }

  async function storePage(
    input: RunInput,
    number: number,
    page: { records: FetchedRecord[]; next: string | null },
  ): Promise<void> {
    await withTenantScope(dataSource, input.tenantId, async (db) => {
      const run = await findSyncRun(db, input.tenantId, input.workflowId, { lock: true });
      if (!run || run.pages >= number) return; // stored by an earlier attempt
      const counts = await upsertRecords(
        db,
        { tenantId: input.tenantId, connectionId: input.connectionId, syncId: input.syncId, runId: input.workflowId },
        page.records,
      );
      await recordSyncPage(db, input.tenantId, input.workflowId, { number, nextCursor: page.next, counts });
    });
  }
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, date - now);
}

/** A cursor the provider gave must stay on its API (the token goes with the request). */
function sameApi(base: URL, cursor: string): URL {
  const url = new URL(cursor);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname.replace(/\/$/, '')))
    throw refused(`The provider's next page (${url.origin}${url.pathname}) is not on its API (${base.href}).`);
  return url;
}

/** The page's records: the body itself when it is an array, else its `items`, `data`, `records` or `results`. */
export function recordsOf(body: unknown, url: URL): FetchedRecord[] {
  const list = Array.isArray(body)
    ? body
    : ['items', 'data', 'records', 'results']
        .map((key) => (body as Record<string, unknown> | null)?.[key])
        .find(Array.isArray);
  if (!list) throw refused(`The provider's answer for ${url.pathname} holds no list of records.`);
  const byId = new Map<string, FetchedRecord>();
  list.forEach((item: unknown, index: number) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' && typeof id !== 'number')
      throw refused(`Record ${index} of ${url.pathname} has no \`id\`.`);
    byId.set(String(id), { id: String(id), data: item, hash: hashOf(item) });
  });
  return [...byId.values()];
}

/** The next page: a `Link: <…>; rel="next"` header, else the body's `next` URL or `next_cursor`. */
export function nextPage(body: unknown, link: string | null, url: URL): string | null {
  for (const part of link?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;[^,]*rel="?next"?/i.exec(part);
    if (match) return new URL(match[1]!, url).href;
  }
  const fields = (Array.isArray(body) ? {} : (body ?? {})) as Record<string, unknown>;
  if (typeof fields.next === 'string' && fields.next) return new URL(fields.next, url).href;
  const cursor = fields.next_cursor ?? fields.nextCursor;
  if (typeof cursor === 'string' && cursor) {
    const next = new URL(url);
    next.searchParams.set('cursor', cursor);
    return next.href;
  }
  return null;
}

/** A hash of the record's JSON with its keys sorted: the same record hashes the same. */
function hashOf(value: unknown): string {
  const canonical = (inner: unknown): unknown =>
    Array.isArray(inner)
      ? inner.map(canonical)
      : inner && typeof inner === 'object'
        ? Object.fromEntries(
            Object.keys(inner)
              .sort()
              .map((key) => [key, canonical((inner as Record<string, unknown>)[key])]),
          )
        : inner;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}
