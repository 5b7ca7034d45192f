// Approval assertions for workflow tests: a signer made with the API's own code (its keys
// kept in memory, as the API keeps them) and the stand-ins of the approval activities that
// hand its public keys to the workflow and record the rest.
import type { ApprovalActivities } from '../../activities/approvals/index.ts';
import type { ApprovalSigner, PublishedKey } from '../../api/approvals/assertion-signer.ts';
import { createApprovalSigner } from '../../api/approvals/assertion-signer.ts';
import type { AssertionClaims, VerificationKey } from '../../workflows/approvals/assertion.ts';

export interface TestSigner {
  signer: ApprovalSigner;
  /** The public keys published so far, as loadApprovalVerificationKeys returns them. */
  keys(): VerificationKey[];
  /** An assertion for `userId` deciding `action` on `requestId` of `workflowId`. */
  assertion(
    who: Pick<AssertionClaims, 'sub'> & Partial<Pick<AssertionClaims, 'platformAdmin' | 'tenantRole' | 'groups'>>,
    on: { workflowId: string; requestId: string; action: 'approve' | 'reject' },
  ): Promise<string>;
}

export async function createTestSigner(options: { assertionTtlMs?: number } = {}): Promise<TestSigner> {
  const published: PublishedKey[] = [];
  const signer = await createApprovalSigner({
    publish: (key) => {
      published.push(key);
      return Promise.resolve();
    },
    keyLifetimeMs: 3_600_000,
    assertionTtlMs: options.assertionTtlMs ?? 60_000,
  });
  return {
    signer,
    keys: () => published.map((key) => ({ kid: key.kid, publicKey: key.publicKey, notAfter: key.notAfter.getTime() })),
    assertion: (who, on) =>
      signer.sign({
        wf: on.workflowId,
        req: on.requestId,
        act: on.action,
        sub: who.sub,
        platformAdmin: who.platformAdmin ?? false,
        tenantRole: who.tenantRole ?? null,
        groups: who.groups ?? [],
        rid: null,
      }),
  };
}

/** Stand-ins of the approval activities: `keys` are the ones the workflow is given. */
export function approvalStandIns(keys: () => VerificationKey[]) {
  return {
    loadApprovalVerificationKeys: () => Promise.resolve({ keys: keys() }),
    openApprovalRequest: async () => {},
    recordApprovalDecision: async () => {},
    escalateApprovalRequest: async () => {},
    closeApprovalRequest: async () => {},
  } satisfies ApprovalActivities;
}
