// The secret-rotation family's activities: rotateSecret's steps (activities/secret-rotation/
// rotate.ts for the automatic strategies, reminder.ts for the manual one) and the Schedule's
// claim. Strategies: strategies.ts. rotateSigningKey's steps: signing-keys.ts; rotateDatabaseLogin's:
// database-login.ts. The changes and reveals of production secrets that wait for an approval:
// approvals.ts, with the approval primitive's activities (workflows/approvals/).
import { createApprovalActivities } from '../approvals/index.ts';
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createSecretApprovalActivities } from './approvals.ts';
import { createClaimActivities } from './claim.ts';
import { createDatabaseLoginActivities } from './database-login.ts';
import { createReminderActivities } from './reminder.ts';
import { createRotateActivities } from './rotate.ts';
import { createSigningKeyActivities } from './signing-keys.ts';

export function createSecretRotationActivities(deps: ActivityDeps) {
  return {
    ...createClaimActivities(deps),
    ...createRotateActivities(deps),
    ...createReminderActivities(deps),
    ...createSigningKeyActivities(deps),
    ...createSecretApprovalActivities(deps),
    // The approval primitive's, for production secrets' changes and reveals.
    ...createApprovalActivities(deps),
    ...createDatabaseLoginActivities(deps),
  };
}

export type SecretRotationActivities = ReturnType<typeof createSecretRotationActivities>;

export default {
  // Each activity is a transaction, a secret store write or a few calls to consumers' hooks.
  defaultActivitySlots: 5,
  createActivities: createSecretRotationActivities,
} satisfies ActivityFamily;
