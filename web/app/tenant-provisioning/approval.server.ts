// The decision on a tenant waiting for approval: provisionTenant's decideApproval Update,
// sent through POST /api/v1/tenants/:slug/approval (api/tenant-provisioning/approval-routes.ts).
import type { RouterContextProvider } from 'react-router';
import { callApi } from '../api/client.server.ts';
import type { ApiResult } from '../api/client.server.ts';
import type { TenantAction } from '../api/tenant-action.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type { TenantApproval, TenantApprovalRequest } from '../../../contracts/index.ts';
import { formText } from '../form-text.ts';

export function decideApproval(
  context: Readonly<RouterContextProvider>,
  {
    slug,
    token,
    decision,
    reason = '',
  }: { slug: string; token: string; decision: 'approve' | 'reject'; reason?: string },
): Promise<ApiResult<TenantApproval>> {
  return callApi<TenantApproval>(context, `${tenantApiPath(slug)}/approval`, {
    method: 'POST',
    token,
    body: { decision, ...(reason ? { reason } : {}) } satisfies TenantApprovalRequest,
  });
}

/** The intents of ApprovalDecisionForm; a reason goes with a rejection only. */
export const approvalActions = {
  approve: ({ context, slug, token }) => decideApproval(context, { slug, token, decision: 'approve' }),
  reject: ({ context, slug, token, form }) =>
    decideApproval(context, { slug, token, decision: 'reject', reason: formText(form, 'reason') }),
} satisfies Record<string, TenantAction>;
