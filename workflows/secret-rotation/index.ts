// The secret-rotation family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { rotateDatabaseLogin } from './rotate-database-login.ts';
export { rotateSecret } from './rotate-secret.ts';
export { rotateSigningKey } from './rotate-signing-key.ts';
export { scheduledDatabaseLoginRotation } from './scheduled-database-login-rotation.ts';
export { scheduledSecretRotation } from './scheduled-secret-rotation.ts';
export { scheduledSigningKeyRotation } from './scheduled-signing-key-rotation.ts';
export { changeSecretWithApproval, revealSecretWithApproval } from './secret-approval.ts';
