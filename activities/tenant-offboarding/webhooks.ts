// The last offboarding step, `webhooks`: the tenant's endpoints get the final
// `tenant.offboarded` (emitted by completeOffboarding), then they and their signing secrets
// are deleted. The workflow waits for that delivery a bounded time, asking
// awaitedFinalWebhookDeliveries; whatever has not arrived by then is lost with the endpoint,
// and the report says so per endpoint.
import type { EntityManager } from 'typeorm';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import { wasDelivered } from '../../db/repositories/webhook-deliveries.ts';
import type { WebhookEndpointRow } from '../../db/repositories/webhook-endpoints.ts';
import { deleteWebhookEndpoint, listWebhookEndpoints } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import { listSecretsUnder, tenantWebhookSecretsPath } from '../shared/tenant-teardown.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

type WebhookEvidence = NonNullable<TeardownSteps['webhooks']>;

const FINAL_EVENT = 'tenant.offboarded';

/** Where an endpoint stands with the final event: delivered, still awaited, or why it will not get it. */
type FinalDelivery = { endpoint: WebhookEndpointRow } & (
  { state: 'delivered' } | { state: 'awaited' } | { state: 'not-sent'; why: string }
);

/** The tenant's final event (the latest `tenant.offboarded`), if it was emitted. */
async function finalEvent(
  db: EntityManager,
  tenantId: string,
): Promise<{ event_id: string; occurred_at: Date } | null> {
  const [event] = await db.query<Array<{ event_id: string; occurred_at: Date }>>(
    `SELECT event_id, occurred_at FROM event_outbox WHERE tenant_id = $1 AND type = $2 ORDER BY id DESC LIMIT 1`,
    [tenantId, FINAL_EVENT],
  );
  return event ?? null;
}

/**
 * Each endpoint and the final event. Only enabled endpoints that subscribe to it and existed
 * when it happened (the dispatcher's rule) are awaited: a paused or disabled one cannot be
 * re-enabled any more (members are locked out of an offboarded tenant).
 */
async function finalDeliveries(db: EntityManager, tenantId: string, eventId: string | null, occurredAt: Date | null) {
  const deliveries: FinalDelivery[] = [];
  for (const endpoint of await listWebhookEndpoints(db, tenantId)) {
    if (!eventId || !occurredAt) deliveries.push({ endpoint, state: 'not-sent', why: `no ${FINAL_EVENT} event` });
    else if (!endpoint.event_types.includes(FINAL_EVENT))
      deliveries.push({ endpoint, state: 'not-sent', why: `not subscribed to ${FINAL_EVENT}` });
    else if (endpoint.created_at > occurredAt)
      deliveries.push({ endpoint, state: 'not-sent', why: 'created after the event' });
    else if (await wasDelivered(db, tenantId, endpoint.id, eventId)) deliveries.push({ endpoint, state: 'delivered' });
    else if (endpoint.status !== 'enabled')
      deliveries.push({
        endpoint,
        state: 'not-sent',
        why: `not delivered: ${endpoint.disabled_reason ?? endpoint.status}`,
      });
    else deliveries.push({ endpoint, state: 'awaited' });
  }
  return deliveries;
}

/** What the report says of an endpoint's final event when it is deleted. */
async function finalDeliveryOutcome(db: EntityManager, delivery: FinalDelivery, eventId: string | null) {
  if (delivery.state === 'delivered') return 'delivered';
  if (delivery.state === 'not-sent') return delivery.why;
  const [last] = await db.query<Array<{ attempt: number; status_code: number | null; error: string | null }>>(
    `SELECT attempt, status_code, error FROM webhook_deliveries
     WHERE tenant_id = $1 AND endpoint_id = $2 AND event_id = $3 ORDER BY attempt DESC LIMIT 1`,
    [delivery.endpoint.tenant_id, delivery.endpoint.id, eventId],
  );
  if (!last) return 'not delivered within the wait: no attempt was made';
  const answer = last.status_code !== null ? `HTTP status ${last.status_code}` : (last.error ?? 'no answer');
  return `not delivered within the wait: attempt ${last.attempt} got ${answer}`;
}

export function createWebhookTeardownActivities(deps: Pick<ActivityDeps, 'dataSource' | 'secretStore'>) {
  const { secretStore } = deps;
  return {
    /** The tenant's endpoints that are not disabled (their sequencers may hold events). Retry-safe: it only reads. */
    async listTenantWebhookEndpoints(input: OffboardingStepInput): Promise<{ endpointIds: string[] }> {
      return tenantStep(deps, input, () =>
        withTenantScope(deps.dataSource, input.tenantId, async (db) => ({
          endpointIds: (await listWebhookEndpoints(db, input.tenantId))
            .filter((endpoint) => endpoint.status !== 'disabled')
            .map((endpoint) => endpoint.id),
        })),
      );
    },

    /** The endpoints the final event has yet to reach (see finalDeliveries). Retry-safe: it only reads. */
    async awaitedFinalWebhookDeliveries(input: OffboardingStepInput): Promise<{ waitingFor: string[] }> {
      return tenantStep(deps, input, () =>
        withTenantScope(deps.dataSource, input.tenantId, async (db) => {
          const event = await finalEvent(db, input.tenantId);
          const deliveries = await finalDeliveries(
            db,
            input.tenantId,
            event?.event_id ?? null,
            event?.occurred_at ?? null,
          );
          return {
            waitingFor: deliveries.filter((d) => d.state === 'awaited').map((d) => d.endpoint.id),
          };
        }),
      );
    },

    /**
     * Deletes every endpoint of the tenant (audited `webhook_endpoint.deleted`), with its
     * delivery log, then destroys every signing secret under `tenants/<slug>/webhooks/`, and
     * records per endpoint what became of the final event, and the evidence that the secrets
     * are gone (no metadata, nothing listed under the folder). Returns the deleted endpoints.
     *
     * Retry-safe: what it will delete is stored first and only grows (a retry after the rows
     * are gone still reports them); deleting or destroying what is gone succeeds.
     */
    async offboardWebhookEndpoints(input: OffboardingStepInput): Promise<{ endpointIds: string[] }> {
      const folder = tenantWebhookSecretsPath(input.slug);
      return tenantStep(deps, input, async (step) => {
        const listed = await listSecretsUnder(secretStore, folder);
        const planned = await step.locked(async ({ db, auditChange }) => {
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).webhooks;
          const event = await finalEvent(db, input.tenantId);
          const eventId = event?.event_id ?? null;
          const deliveries = await finalDeliveries(db, input.tenantId, eventId, event?.occurred_at ?? null);
          const endpoints: WebhookEvidence['endpoints'] = [...(earlier?.endpoints ?? [])];
          for (const delivery of deliveries) {
            const { endpoint } = delivery;
            endpoints.push({
              id: endpoint.id,
              url: endpoint.url,
              finalDelivery: await finalDeliveryOutcome(db, delivery, eventId),
            });
            await deleteWebhookEndpoint(db, input.tenantId, endpoint.id);
            await auditChange(
              'webhook_endpoint.deleted',
              'webhook_endpoint',
              endpoint.id,
              {
                url: endpoint.url,
                description: endpoint.description,
                eventTypes: endpoint.event_types,
                status: endpoint.status,
                disabledReason: endpoint.disabled_reason,
                secretVersion: endpoint.secret_version,
              },
              { deletedBy: 'offboarding' },
            );
          }
          const secrets = [
            ...new Set([
              ...(earlier?.plannedSecrets ?? []),
              ...deliveries.map((d) => d.endpoint.secret_path),
              ...listed,
            ]),
          ].sort();
          await recordStep(db, input.tenantId, 'webhooks', {
            eventId,
            endpoints,
            plannedSecrets: secrets,
            completedAt: null,
          });
          return { eventId, endpoints, secrets };
        });
        for (const path of planned.secrets) await secretStore.destroy(path);
        const secrets: Array<{ path: string; metadata: null }> = [];
        for (const path of planned.secrets) {
          if ((await secretStore.metadata(path)) !== null)
            throw new Error(`Secret ${path} still has metadata after it was destroyed; retrying.`);
          secrets.push({ path, metadata: null });
        }
        const remaining = await secretStore.list(folder);
        if (remaining.length > 0)
          throw new Error(`The secret store still lists ${remaining.join(', ')} under ${folder}; retrying.`);
        await step.locked(({ db }) =>
          recordStep(db, input.tenantId, 'webhooks', {
            eventId: planned.eventId,
            endpoints: planned.endpoints,
            plannedSecrets: planned.secrets,
            secrets,
            listedUnderPrefix: remaining,
            completedAt: new Date().toISOString(),
          }),
        );
        return { endpointIds: planned.endpoints.map((endpoint) => endpoint.id) };
      });
    },
  };
}
