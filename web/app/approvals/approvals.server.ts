// The approvals queue's API calls: the caller's queue (GET /api/v1/approvals) and a decision
// (POST /api/v1/tenants/:slug/approvals/:requestId/approve|reject, api/approvals/routes.ts).
import type { RouterContextProvider } from 'react-router';
import { callApi, loadFromApi } from '../api/client.server.ts';
import type { ApiResult } from '../api/client.server.ts';
import type {
  ApprovalDecisionResult,
  ApprovalQueue,
  ApproveRequestBody,
  RejectRequestBody,
} from '../../../contracts/index.ts';

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
