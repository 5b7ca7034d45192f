// Operators: people who look into (read) or repair (write) workflows in the Temporal UI that
// Atrium serves at /ops/temporal/, and the tokens Atrium issues them for a Temporal cluster
// that checks JWTs (docs/operations.md, "Operator access").
import { z } from 'zod';

export const OPERATOR_ROLES = ['read', 'write'] as const;
export const OperatorRole = z
  .enum(OPERATOR_ROLES, { error: `must be one of ${OPERATOR_ROLES.join(', ')}, or null` })
  .meta({ id: 'OperatorRole' });
export type OperatorRole = z.infer<typeof OperatorRole>;

/** PUT /operators/:userId (platform admins): grant, change or take away (null) the role. */
export const SetOperatorRoleRequest = z
  .strictObject({ role: OperatorRole.nullable() })
  .meta({ id: 'SetOperatorRoleRequest' });
export type SetOperatorRoleRequest = z.infer<typeof SetOperatorRoleRequest>;

export const OperatorUserParams = z.strictObject({ userId: z.uuid({ error: 'must be a user id (UUID)' }) });

export const OperatorView = z
  .object({ userId: z.uuid(), email: z.string(), role: OperatorRole.nullable() })
  .meta({ id: 'Operator' });
export type OperatorView = z.infer<typeof OperatorView>;

/** The Temporal permission an operator role maps to (the server's default claim mapper reads `<namespace>:<permission>`). */
export const TEMPORAL_PERMISSION_OF_ROLE = { read: 'read', write: 'write' } as const satisfies Record<
  OperatorRole,
  'read' | 'write' | 'admin'
>;

/** POST /operators/me/temporal-token: a token for the Temporal frontend, in the form its default JWT claim mapper reads. */
export const TemporalOperatorToken = z
  .object({
    tokenType: z.literal('Bearer'),
    token: z.string().meta({ description: 'An ES256 JWT; send it as `authorization: Bearer <token>`.' }),
    expiresAt: z.iso.datetime(),
    namespace: z.string(),
    permissions: z.array(z.string()).meta({ description: 'The `permissions` claim, e.g. ["default:read"].' }),
    jwksUrl: z.string().meta({ description: 'Where the key that verifies it is published.' }),
  })
  .meta({ id: 'TemporalOperatorToken' });
export type TemporalOperatorToken = z.infer<typeof TemporalOperatorToken>;

/** An ES256 (P-256) public key in a JSON Web Key Set. */
export const Es256Jwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string(),
  y: z.string(),
  kid: z.string(),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
});
export const TemporalOperatorJwks = z.object({ keys: z.array(Es256Jwk) }).meta({ id: 'TemporalOperatorJwks' });
export type TemporalOperatorJwks = z.infer<typeof TemporalOperatorJwks>;
