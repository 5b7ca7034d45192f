// The approvals queue's API calls: the caller's queue (GET /api/v1/approvals) and a decision
// (POST /api/v1/tenants/:slug/approvals/:requestId/approve|reject, api/approvals/routes.ts).
import type { RouterContextProvider } from 'react-router';
import { callApi, loadFromApi } from '../api/client.server.ts';
import type { ApiResult } from '../api/client.server.ts';
import type {
  ApprovalDecisionResult,
  ApprovalQueue,
  ApprovalRequestView,
  ApproveRequestBody,
  RejectRequestBody,
} from '../../../contracts/index.ts';
import type { PromotionList } from '../../../contracts/promotions.ts';
import type { PromotionSubject } from './ApprovalCard.tsx';

export interface QueueFilters {
  status: string;
  kind: string;
  tenant: string;
  /** Everything the caller can see, not only what they may decide now. */
  all: boolean;
}

export function queueFiltersOf(url: URL): QueueFilters {
  return {
    status: url.searchParams.get('status') ?? 'pending',
    kind: url.searchParams.get('kind') ?? '',
    tenant: url.searchParams.get('tenant') ?? '',
    all: url.searchParams.get('all') === 'true',
  };
}

export function loadQueue(
  context: Readonly<RouterContextProvider>,
  filters: QueueFilters,
  call: { signal: AbortSignal; token: string },
): Promise<ApprovalQueue> {
  const query = new URLSearchParams({ status: filters.status || 'pending', mine: filters.all ? 'false' : 'true' });
  if (filters.kind) query.set('kind', filters.kind);
  if (filters.tenant) query.set('tenant', filters.tenant);
  return loadFromApi<ApprovalQueue>(context, `/api/v1/approvals?${query}`, call);
}

export function decide(
  context: Readonly<RouterContextProvider>,
  input: { token: string; slug: string; requestId: string; decision: 'approve' | 'reject'; comment: string },
): Promise<ApiResult<ApprovalDecisionResult>> {
  const path = `/api/v1/tenants/${encodeURIComponent(input.slug)}/approvals/${encodeURIComponent(input.requestId)}/${input.decision}`;
  const body: ApproveRequestBody | RejectRequestBody = input.comment ? { comment: input.comment } : {};
  return callApi<ApprovalDecisionResult>(context, path, { method: 'POST', token: input.token, body });
}

/**
 * The promotion behind each promotion request of the queue, by request id: its environment
 * and number from the subject, the release from the environment's promotions (one read per
 * tenant and environment). A read that fails leaves the release out; the card still shows.
 */
export async function promotionSubjects(
  context: Readonly<RouterContextProvider>,
  approvals: ApprovalRequestView[],
  call: { signal: AbortSignal; token: string },
): Promise<Record<string, PromotionSubject>> {
  const subjects: Array<[ApprovalRequestView, { environment: string; number: number }]> = [];
  for (const approval of approvals) {
    if (approval.subject.kind !== 'promotion') continue;
    const match = /^([a-z0-9-]+)\/(\d+)$/.exec(approval.subject.id);
    if (match) subjects.push([approval, { environment: match[1]!, number: Number(match[2]) }]);
  }
  const lists = new Map<string, Promise<PromotionList | null>>();
  const listOf = (slug: string, environment: string) => {
    const key = `${slug}/${environment}`;
    let list = lists.get(key);
    if (!list) {
      const path = `/api/v1/tenants/${encodeURIComponent(slug)}/environments/${encodeURIComponent(environment)}/promotions`;
      list = callApi<PromotionList>(context, path, call).then((result) => (result.ok ? result.body : null));
      lists.set(key, list);
    }
    return list;
  };
  const found: Record<string, PromotionSubject> = {};
  await Promise.all(
    subjects.map(async ([approval, subject]) => {
      const list = await listOf(approval.tenant.slug, subject.environment);
      const promotion = list?.items.find((item) => item.number === subject.number);
      found[approval.id] = { ...subject, release: promotion?.release ?? null };
    }),
  );
  return found;
}
