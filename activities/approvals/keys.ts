// The public keys approval assertions are verified with, read for a waiting workflow.
import { listApprovalSigningKeys } from '../../db/repositories/approvals.ts';
import type { VerificationKey } from '../../workflows/approvals/assertion.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import { platformStep } from '../shared/kernel.ts';

/** How long after a key's last use its assertions may still arrive (the assertions' lifetime, with room). */
export const RETIRED_KEY_GRACE_MS = 10 * 60_000;

export function createApprovalKeyActivities(deps: KernelDeps) {
  return {
    /**
     * The API processes' published public keys (never a private one: the result enters the
     * workflow's history). Retry-safe: reads only.
     */
    async loadApprovalVerificationKeys(): Promise<{ keys: VerificationKey[] }> {
      return platformStep(deps, {}, async ({ transaction }) => {
        const rows = await transaction(({ db }) => listApprovalSigningKeys(db, RETIRED_KEY_GRACE_MS));
        return {
          keys: rows.map((row) => ({
            kid: row.kid,
            publicKey: row.publicKey,
            notAfter: row.notAfter?.getTime() ?? null,
          })),
        };
      });
    },
  };
}
