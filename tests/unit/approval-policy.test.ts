// The approval policy evaluator (workflows/approvals/policy.ts): the same pure code decides in
// the API before it signs an assertion and in the workflow's Update validators. Its schema
// (contracts/approvals.ts) refuses malformed policies with the field named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApprovalPolicy as ApprovalPolicySchema } from '../../contracts/approvals.ts';
import type {
  ApprovalPolicy,
  ApprovalRule,
  ApprovalState,
  Approver,
  ApproverRole,
} from '../../workflows/approvals/policy.ts';
import {
  APPROVER_ROLES,
  applicableRule,
  evaluateDecision,
  fitsRequirement,
  tenantApprovalPolicy,
} from '../../workflows/approvals/policy.ts';

const noon = new Date('2026-12-02T12:00:00Z');
const person = (userId: string, role: ApproverRole | null = 'admin', extra: Partial<Approver> = {}): Approver => ({
  userId,
  platformAdmin: false,
  tenantRole: role,
  groups: [],
  ...extra,
});
const pending = (requesterId: string | null, extra: Partial<ApprovalState> = {}): ApprovalState => ({
  requesterId,
  stage: 0,
  status: 'pending',
  decisions: [],
  ...extra,
});

const prodPolicy: ApprovalPolicy = {
  version: 1,
  rules: [
    {
      name: 'prod, high risk',
      when: { environments: ['prod'], risks: ['high'] },
      stages: [
        { name: 'admins', approvers: { kind: 'role', role: 'admin', count: 2 }, expiresAfterMs: 3_600_000 },
        {
          name: 'release managers',
          approvers: { kind: 'group', group: 'release-managers', count: 1 },
          expiresAfterMs: 3_600_000,
        },
      ],
    },
    {
      name: 'prod',
      when: { environments: ['prod'] },
      stages: [
        {
          name: 'admins',
          approvers: { kind: 'role', role: 'admin', count: 1 },
          expiresAfterMs: 60_000,
          hours: { fromHour: 9, toHour: 17 },
        },
      ],
    },
    { name: 'everything else', stages: [] },
  ],
};
const twoAdmins = prodPolicy.rules[0] as ApprovalRule;
const officeHours = prodPolicy.rules[1] as ApprovalRule;

describe('approval policy evaluator', () => {
  it('applies the first rule whose request conditions match', () => {
    assert.equal(applicableRule(prodPolicy, { environment: 'prod', risk: 'high' })?.name, 'prod, high risk');
    assert.equal(applicableRule(prodPolicy, { environment: 'prod', risk: 'low' })?.name, 'prod');
    assert.equal(
      applicableRule(prodPolicy, { environment: 'prod' })?.name,
      'prod',
      'an absent attribute matches no list',
    );
    assert.equal(applicableRule(prodPolicy, { environment: 'staging', risk: 'high' })?.name, 'everything else');
    assert.equal(
      applicableRule(
        { version: 1, rules: [{ name: 'plans', when: { plans: ['enterprise'] }, stages: [] }] },
        { plan: 'team' },
      ),
      null,
    );
  });

  it('never lets the requester decide on their own request', () => {
    const verdict = evaluateDecision(
      twoAdmins,
      pending('alice'),
      person('alice', 'owner'),
      { decision: 'approve' },
      noon,
    );
    assert.deepEqual(verdict, {
      allowed: false,
      code: 'requester',
      reason: 'You asked for this: someone else must decide on it (separation of duties).',
    });
  });

  it('needs two different admins; one person approves once', () => {
    const first = evaluateDecision(twoAdmins, pending('alice'), person('bob'), { decision: 'approve' }, noon);
    assert.deepEqual(first, { allowed: true, completes: false });
    const afterBob = pending('alice', { decisions: [{ userId: 'bob', decision: 'approve', stage: 0 }] });
    const again = evaluateDecision(twoAdmins, afterBob, person('bob'), { decision: 'approve' }, noon);
    assert.equal(again.allowed, false);
    assert.equal(!again.allowed && again.code, 'decided-already');
    assert.deepEqual(evaluateDecision(twoAdmins, afterBob, person('carol'), { decision: 'approve' }, noon), {
      allowed: true,
      completes: true,
    });
  });

  it('refuses a viewer or developer where admins are asked for; an owner counts as an admin', () => {
    for (const role of ['viewer', 'developer', null] as const) {
      const verdict = evaluateDecision(
        twoAdmins,
        pending('alice'),
        person('dave', role),
        { decision: 'approve' },
        noon,
      );
      assert.equal(!verdict.allowed && verdict.code, 'not-an-approver', String(role));
    }
    assert.equal(
      evaluateDecision(twoAdmins, pending('alice'), person('olga', 'owner'), { decision: 'approve' }, noon).allowed,
      true,
    );
  });

  it('after an escalation, the next group decides afresh', () => {
    const escalated = pending('alice', { stage: 1, decisions: [{ userId: 'bob', decision: 'approve', stage: 0 }] });
    const admin = evaluateDecision(twoAdmins, escalated, person('carol'), { decision: 'approve' }, noon);
    assert.equal(!admin.allowed && admin.code, 'not-an-approver');
    const manager = person('mia', 'developer', { groups: ['release-managers'] });
    assert.deepEqual(evaluateDecision(twoAdmins, escalated, manager, { decision: 'approve' }, noon), {
      allowed: true,
      completes: true,
    });
  });

  it('takes decisions only within the stage hours (UTC, wrapping past midnight)', () => {
    const at = (hour: number) => new Date(Date.UTC(2026, 11, 2, hour, 30));
    assert.equal(
      evaluateDecision(officeHours, pending(null), person('bob'), { decision: 'approve' }, at(9)).allowed,
      true,
    );
    const late = evaluateDecision(officeHours, pending(null), person('bob'), { decision: 'approve' }, at(17));
    assert.equal(!late.allowed && late.code, 'outside-hours');
    const night: ApprovalRule = {
      ...officeHours,
      stages: [{ ...officeHours.stages[0]!, hours: { fromHour: 22, toHour: 6 } }],
    };
    assert.equal(evaluateDecision(night, pending(null), person('bob'), { decision: 'approve' }, at(23)).allowed, true);
    assert.equal(evaluateDecision(night, pending(null), person('bob'), { decision: 'approve' }, at(5)).allowed, true);
    assert.equal(evaluateDecision(night, pending(null), person('bob'), { decision: 'approve' }, at(12)).allowed, false);
  });

  it('rejects at once with a comment, and not without one', () => {
    const bare = evaluateDecision(
      twoAdmins,
      pending('alice'),
      person('bob'),
      { decision: 'reject', comment: '  ' },
      noon,
    );
    assert.equal(!bare.allowed && bare.code, 'comment-required');
    assert.deepEqual(
      evaluateDecision(twoAdmins, pending('alice'), person('bob'), { decision: 'reject', comment: 'not now' }, noon),
      {
        allowed: true,
        completes: true,
      },
    );
  });

  it('refuses every decision on a closed request', () => {
    for (const status of ['approved', 'rejected'] as const) {
      const verdict = evaluateDecision(
        twoAdmins,
        pending('alice', { status }),
        person('bob'),
        { decision: 'approve' },
        noon,
      );
      assert.equal(!verdict.allowed && verdict.code, 'closed');
    }
  });

  it('tenant approvals: one platform admin, not a tenant role', () => {
    const rule = tenantApprovalPolicy(60_000).rules[0]!;
    assert.equal(
      evaluateDecision(rule, pending(null), person('o', 'owner'), { decision: 'approve' }, noon).allowed,
      false,
    );
    assert.deepEqual(
      evaluateDecision(rule, pending(null), person('p', null, { platformAdmin: true }), { decision: 'approve' }, noon),
      {
        allowed: true,
        completes: true,
      },
    );
  });

  it('properties: the requester is never allowed; nobody decides twice; a quorum of N needs N people', () => {
    const role = fc.constantFrom(...APPROVER_ROLES.filter((r) => r !== 'platform-admin'));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.uuid(), { minLength: 1, maxLength: 8 }),
        role,
        (count, people, approverRole) => {
          const rule: ApprovalRule = {
            name: 'r',
            stages: [{ name: 's', approvers: { kind: 'role', role: 'viewer', count }, expiresAfterMs: 1000 }],
          };
          const requester = people[0]!;
          let state = pending(requester);
          assert.equal(
            evaluateDecision(rule, state, person(requester, approverRole), { decision: 'approve' }, noon).allowed,
            false,
          );
          let approvals = 0;
          for (const userId of people) {
            const verdict = evaluateDecision(rule, state, person(userId, approverRole), { decision: 'approve' }, noon);
            if (
              userId === requester ||
              state.decisions.some((d) => d.userId === userId) ||
              state.status !== 'pending'
            ) {
              assert.equal(verdict.allowed, false);
              continue;
            }
            assert.equal(verdict.allowed, true);
            approvals += 1;
            assert.equal(verdict.allowed && verdict.completes, approvals >= count);
            state = {
              ...state,
              status: verdict.allowed && verdict.completes ? 'approved' : 'pending',
              decisions: [...state.decisions, { userId, decision: 'approve', stage: 0 }],
            };
          }
          const distinctOthers = new Set(people.filter((p) => p !== requester)).size;
          assert.equal(state.status === 'approved', distinctOthers >= count);
        },
      ),
    );
  });

  it('a role requirement admits exactly that role and more powerful ones', () => {
    const order: ApproverRole[] = ['owner', 'admin', 'developer', 'viewer'];
    for (const needed of order)
      for (const held of order)
        assert.equal(
          fitsRequirement({ kind: 'role', role: needed, count: 1 }, person('x', held)),
          order.indexOf(held) <= order.indexOf(needed),
          `${held} for ${needed}`,
        );
  });
});

describe('approval policy schema', () => {
  it('accepts the evaluator’s policies', () => {
    assert.deepEqual(ApprovalPolicySchema.parse(prodPolicy), prodPolicy);
    assert.ok(ApprovalPolicySchema.safeParse(tenantApprovalPolicy(60_000)).success);
  });

  it('names the field of every mistake', () => {
    const bad = ApprovalPolicySchema.safeParse({
      version: 1,
      rules: [
        { name: 'a', stages: [{ name: 's', approvers: { kind: 'role', role: 'boss', count: 0 }, expiresAfterMs: 10 }] },
      ],
    });
    assert.equal(bad.success, false);
    const paths = bad.error.issues.map((issue) => issue.path.join('.')).sort();
    assert.deepEqual(paths, [
      'rules.0.stages.0.approvers.count',
      'rules.0.stages.0.approvers.role',
      'rules.0.stages.0.expiresAfterMs',
    ]);
    const twice = ApprovalPolicySchema.safeParse({
      version: 1,
      rules: [
        { name: 'a', stages: [] },
        { name: 'a', stages: [] },
      ],
    });
    assert.deepEqual(
      twice.error?.issues.map((issue) => [issue.path.join('.'), issue.message]),
      [['rules.1.name', 'Rule names must be unique.']],
    );
  });
});
