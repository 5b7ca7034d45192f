// A workflow that waits for approval through the real gate (workflows/approvals/gate.ts),
// standing in for the promotions still to come: it opens a request with the attributes and
// policy it is given (say environment "prod"), and ends with the outcome. Run by an
// in-process worker of the test with the real approval activities, so requests and decisions
// are stored, audited and mailed as the platform does it, and decided through the API.
// Deterministic, like every workflow file (the sandbox lint covers this file too).
import { uuid4, workflowInfo } from '@temporalio/workflow';
import { awaitApproval } from '../../workflows/approvals/gate.ts';
import type { ApprovalResult } from '../../workflows/approvals/contract.ts';
import type { ApprovalPolicy, RequestAttributes } from '../../workflows/approvals/policy.ts';

export interface ApprovalStandInInput {
  tenantId: string;
  requesterId: string | null;
  label: string;
  attributes: RequestAttributes;
  policy: ApprovalPolicy;
}

export async function approvalStandIn(input: ApprovalStandInInput): Promise<ApprovalResult> {
  const { workflowId } = workflowInfo();
  return awaitApproval({
    requestId: uuid4(),
    tenantId: input.tenantId,
    subject: { kind: 'promotion', id: workflowId, label: input.label },
    requesterId: input.requesterId,
    attributes: input.attributes,
    policy: input.policy,
    activityOptions: {
      startToCloseTimeout: '30s',
      retry: { initialInterval: '200ms', maximumInterval: '2s' },
    },
  });
}
