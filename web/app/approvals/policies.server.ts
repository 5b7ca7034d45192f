// The policy editor's API calls (api/approvals/policy-routes.ts): the tenant's stored
// policies, the one applying to the chosen environment, the groups, the caller's permissions;
// and the editor's actions — save, remove, simulate — answered with the problem's field errors.
import type { RouterContextProvider } from 'react-router';
import type {
  ApprovalDelegationList,
  ApprovalGroupList,
  ApprovalPolicyList,
  ApprovalSimulation,
  EffectiveApprovalPolicy,
} from '../../../contracts/approval-policies.ts';
import { DEFAULT_ENVIRONMENT_SEGMENT } from '../../../contracts/approval-policies.ts';
import type { ApprovalPolicy, MemberList, Membership, Problem } from '../../../contracts/index.ts';
import { utcDateTime } from '../webhooks/endpoint-form.ts';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import { formText } from '../form-text.ts';

type Context = Readonly<RouterContextProvider>;

/** The environment in URLs: '' (the tenant default) is `_default`. */
export const environmentSegment = (environment: string) =>
  encodeURIComponent(environment === '' ? DEFAULT_ENVIRONMENT_SEGMENT : environment);

export interface PolicyPageData {
  list: ApprovalPolicyList;
  effective: EffectiveApprovalPolicy;
  groups: ApprovalGroupList;
  membership: Membership;
  delegations: ApprovalDelegationList;
  members: MemberList;
}

/** Everything the page shows, or the first failed answer. */
export async function loadPolicyPage(
  context: Context,
  input: { slug: string; environment: string; token: string; signal: AbortSignal },
): Promise<ApiResult<PolicyPageData>> {
  const base = `${tenantApiPath(input.slug)}`;
  const call = { token: input.token, signal: input.signal };
  const [list, effective, groups, membership, delegations, members] = await Promise.all([
    callApi<ApprovalPolicyList>(context, `${base}/approval-policies`, call),
    callApi<EffectiveApprovalPolicy>(
      context,
      `${base}/approval-policies/${environmentSegment(input.environment)}`,
      call,
    ),
    callApi<ApprovalGroupList>(context, `${base}/approval-groups`, call),
    callApi<Membership>(context, `${base}/members/me`, call),
    callApi<ApprovalDelegationList>(context, `${base}/approval-delegations`, call),
    callApi<MemberList>(context, `${base}/members`, call),
  ]);
  for (const result of [list, effective, groups, membership, delegations, members]) if (!result.ok) return result;
  if (!list.ok || !effective.ok || !groups.ok || !membership.ok || !delegations.ok || !members.ok)
    throw new Error('unreachable');
  return {
    ok: true,
    status: 200,
    body: {
      list: list.body,
      effective: effective.body,
      groups: groups.body,
      membership: membership.body,
      delegations: delegations.body,
      members: members.body,
    },
  };
}

export type PolicyActionResult =
  | {
      intent: 'save' | 'delete' | 'delegate' | 'revoke';
      done: boolean;
      problem: Problem | null;
      fieldErrors: Record<string, string>;
    }
  | {
      intent: 'simulate';
      simulation: ApprovalSimulation | null;
      problem: Problem | null;
      fieldErrors: Record<string, string>;
    };

/** The field errors of a problem, by the editor's field path (`rules.0.stages.0.approvers.count`). */
function fieldErrorsOf(problem: Problem | null): Record<string, string> {
  return Object.fromEntries(
    (problem?.errors ?? []).map((error) => [error.path.replace(/^policy\.?/, ''), error.message]),
  );
}

const malformed: Problem = {
  type: 'urn:atrium:problem:validation-failed',
  title: 'The request has invalid fields',
  status: 422,
  detail: 'The policy could not be read.',
};

/** Save, remove or simulate, as the form's intent says. Returns the answer, and 401 for sign-in. */
export async function policyAction(
  context: Context,
  input: { slug: string; environment: string; token: string; form: FormData },
): Promise<{ status: number; result: PolicyActionResult }> {
  const intent = formText(input.form, 'intent');
  const path = `${tenantApiPath(input.slug)}/approval-policies/${environmentSegment(input.environment)}`;
  if (intent === 'delegate' || intent === 'revoke') {
    const base = `${tenantApiPath(input.slug)}/approval-delegations`;
    const answer =
      intent === 'delegate'
        ? await callApi(context, base, {
            method: 'POST',
            token: input.token,
            body: {
              delegateId: formText(input.form, 'delegateId'),
              startsAt: utcDateTime(formText(input.form, 'startsAt')),
              endsAt: utcDateTime(formText(input.form, 'endsAt')),
            },
          })
        : await callApi(context, `${base}/${encodeURIComponent(formText(input.form, 'delegationId'))}`, {
            method: 'DELETE',
            token: input.token,
          });
    const problem = answer.ok ? null : answer.problem;
    return { status: answer.status, result: { intent, done: answer.ok, problem, fieldErrors: fieldErrorsOf(problem) } };
  }
  if (intent === 'delete') {
    const answer = await callApi(context, path, { method: 'DELETE', token: input.token });
    const problem = answer.ok ? null : answer.problem;
    return { status: answer.status, result: { intent, done: answer.ok, problem, fieldErrors: {} } };
  }
  let policy: ApprovalPolicy;
  try {
    policy = JSON.parse(formText(input.form, 'policy')) as ApprovalPolicy;
  } catch {
    const result = { problem: malformed, fieldErrors: {} };
    return {
      status: 422,
      result:
        intent === 'simulate' ? { intent, simulation: null, ...result } : { intent: 'save', done: false, ...result },
    };
  }
  if (intent === 'simulate') {
    const answer = await callApi<ApprovalSimulation>(context, `${path}/simulate`, {
      method: 'POST',
      token: input.token,
      body: { policy },
    });
    const problem = answer.ok ? null : answer.problem;
    return {
      status: answer.status,
      result: { intent, simulation: answer.ok ? answer.body : null, problem, fieldErrors: fieldErrorsOf(problem) },
    };
  }
  const answer = await callApi(context, path, { method: 'PUT', token: input.token, body: { policy } });
  const problem = answer.ok ? null : answer.problem;
  return {
    status: answer.status,
    result: { intent: 'save', done: answer.ok, problem, fieldErrors: fieldErrorsOf(problem) },
  };
}
