// The simulation of a policy over stored requests (workflows/approvals/simulation.ts) and the
// evaluator's delegation rules (workflows/approvals/policy.ts): pure functions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApprovalPolicy, ApprovalState, Approver } from '../../workflows/approvals/policy.ts';
import { approvalsCounted, evaluateDecision } from '../../workflows/approvals/policy.ts';
import type { StoredRequest } from '../../workflows/approvals/simulation.ts';
import { simulateRequest } from '../../workflows/approvals/simulation.ts';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-12-01T10:00:00Z');
const people: Record<string, Approver> = {
  ann: { userId: 'ann', platformAdmin: false, tenantRole: 'admin', groups: [] },
  bob: { userId: 'bob', platformAdmin: false, tenantRole: 'admin', groups: ['release'] },
  dev: { userId: 'dev', platformAdmin: false, tenantRole: 'developer', groups: [] },
  viv: { userId: 'viv', platformAdmin: false, tenantRole: 'viewer', groups: [] },
};
const approverOf = (userId: string) => people[userId] ?? { userId, platformAdmin: false, tenantRole: null, groups: [] };

const policy = (count: number, stages = 1, approvers: 'admin' | 'release' = 'admin'): ApprovalPolicy => ({
  version: 1,
  rules: [
    { name: 'staging', when: { environments: ['staging'] }, stages: [] },
    {
      name: 'prod',
      stages: Array.from({ length: stages }, (_, i) => ({
        name: `stage ${i}`,
        approvers:
          approvers === 'admin'
            ? { kind: 'role' as const, role: 'admin' as const, count }
            : { kind: 'group' as const, group: 'release', count },
        expiresAfterMs: HOUR,
      })),
    },
  ],
});
const request = (decisions: StoredRequest['decisions'], extra: Partial<StoredRequest> = {}): StoredRequest => ({
  requesterId: 'dev',
  attributes: { environment: 'prod' },
  createdAt: t0,
  decisions,
  inFlight: false,
  ...extra,
});
const approve = (userId: string, minutes: number, onBehalfOf?: string) => ({
  userId,
  decision: 'approve' as const,
  comment: null,
  at: t0 + minutes * 60_000,
  ...(onBehalfOf ? { onBehalfOf } : {}),
});
const now = t0 + 48 * HOUR;

describe('simulating a policy over stored requests', () => {
  it('allows what reaches the quorum, blocks what does not, and names who would not count', () => {
    const once = request([approve('ann', 5)]);
    assert.equal(simulateRequest(policy(1), once, approverOf, now).outcome, 'allowed');
    const twice = simulateRequest(policy(2), once, approverOf, now);
    assert.deepEqual([twice.outcome, twice.approvals, twice.needed], ['blocked', 1, 2]);
    assert.equal(
      simulateRequest(policy(2), request([approve('ann', 5), approve('bob', 9)]), approverOf, now).outcome,
      'allowed',
    );
    const group = simulateRequest(policy(1, 1, 'release'), once, approverOf, now);
    assert.deepEqual([group.outcome, group.notCounted], ['needs-someone-else', ['ann']]);
  });

  it('needs no approval where no stage applies, and keeps waiting requests pending until their time is up', () => {
    assert.equal(
      simulateRequest(policy(2), request([], { attributes: { environment: 'staging' } }), approverOf, now).outcome,
      'allowed',
    );
    const open = request([approve('ann', 5)], { inFlight: true });
    assert.equal(simulateRequest(policy(2), open, approverOf, t0 + 10 * 60_000).outcome, 'pending');
    assert.equal(simulateRequest(policy(2), open, approverOf, t0 + 2 * HOUR).outcome, 'blocked');
  });

  it('places decisions in the stage their time falls in; none counts after the last stage expired', () => {
    // Ann approves in the second hour: the first stage (1 h) expired, the second takes it.
    const late = request([approve('ann', 70)]);
    assert.equal(simulateRequest(policy(1, 2), late, approverOf, now).outcome, 'allowed');
    assert.equal(simulateRequest(policy(1, 1), late, approverOf, now).outcome, 'blocked');
  });

  it('blocks a rejection, and never counts the requester', () => {
    const rejected = request([{ userId: 'bob', decision: 'reject', comment: 'no', at: t0 + 60_000 }]);
    const verdict = simulateRequest(policy(1), rejected, approverOf, now);
    assert.deepEqual([verdict.outcome, verdict.reason], ['blocked', 'Rejected: no.']);
    const own = simulateRequest(policy(1), request([approve('dev', 1)], { requesterId: 'dev' }), approverOf, now);
    assert.equal(own.outcome, 'needs-someone-else');
  });

  it("judges a delegate's decision with the absent person's role", () => {
    const delegated = request([approve('viv', 5, 'ann')]);
    assert.equal(simulateRequest(policy(1), delegated, approverOf, now).outcome, 'allowed');
  });
});

describe('delegation in the evaluator', () => {
  const rule = policy(2).rules[1]!;
  const state = (extra: Partial<ApprovalState> = {}): ApprovalState => ({
    requesterId: 'dev',
    stage: 0,
    status: 'pending',
    decisions: [],
    ...extra,
  });
  const noon = new Date('2026-12-01T12:00:00Z');
  const standIn = (userId: string, absent: string): Approver => ({ ...approverOf(absent), userId, onBehalfOf: absent });

  it('lets a delegate decide where the absent person would, and counts it for the absent person', () => {
    const verdict = evaluateDecision(rule, state(), standIn('viv', 'ann'), { decision: 'approve' }, noon);
    assert.deepEqual(verdict, { allowed: true, completes: false });
    assert.equal(approvalsCounted(0, [{ userId: 'viv', decision: 'approve', stage: 0, onBehalfOf: 'ann' }]), 1);
  });

  it('keeps separation of duties and one decision per person', () => {
    const refused = (approver: Approver, extra: Partial<ApprovalState> = {}) => {
      const verdict = evaluateDecision(rule, state(extra), approver, { decision: 'approve' }, noon);
      return verdict.allowed ? null : verdict.code;
    };
    // The requester may not stand in for anyone; nobody stands in for the requester.
    assert.equal(refused(standIn('dev', 'ann')), 'requester');
    assert.equal(refused(standIn('viv', 'dev')), 'requester');
    // The absent person decided already (in person, or through another delegate).
    assert.equal(
      refused(standIn('viv', 'ann'), { decisions: [{ userId: 'ann', decision: 'approve', stage: 0 }] }),
      'decided-already',
    );
    assert.equal(
      refused(standIn('viv', 'ann'), {
        decisions: [{ userId: 'bob', decision: 'approve', stage: 0, onBehalfOf: 'ann' }],
      }),
      'decided-already',
    );
    // The absent person, back, may not decide again what their delegate decided for them.
    assert.equal(
      refused(people.ann!, { decisions: [{ userId: 'viv', decision: 'approve', stage: 0, onBehalfOf: 'ann' }] }),
      'decided-already',
    );
    // The delegate decided in person already.
    assert.equal(
      refused(standIn('bob', 'ann'), { decisions: [{ userId: 'bob', decision: 'approve', stage: 0 }] }),
      'decided-already',
    );
    // Standing in for someone who is no approver here gives nothing.
    assert.equal(refused(standIn('ann', 'viv')), 'not-an-approver');
  });
});
