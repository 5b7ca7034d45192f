import { IdempotencyKeyEntity } from './idempotency-key.ts';
import { TenantEntity } from './tenant.ts';
import { UserEntity } from './user.ts';

export const entities = [TenantEntity, IdempotencyKeyEntity, UserEntity];
