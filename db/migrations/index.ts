// Every migration, registered explicitly and in order (no directory globbing).
import { CreateTenants1763770000000 } from './1763770000000-CreateTenants.ts';
import { CreateIdempotencyKeys1763770100000 } from './1763770100000-CreateIdempotencyKeys.ts';
import { CreateUsers1763770200000 } from './1763770200000-CreateUsers.ts';

export const migrations = [CreateTenants1763770000000, CreateIdempotencyKeys1763770100000, CreateUsers1763770200000];
