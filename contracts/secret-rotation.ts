// Secret rotation: what the API, the portal and the tests say about the rotateSecret workflow
// (`secret-rotate/<tenant>/<secret>/<n>`), its strategies and the report each rotation keeps.
// Never a value: a rotation's new value goes from the activity that makes it to the secret
// store and to the consumers' verify hooks, and nowhere else.
import { z } from 'zod';
import { duration } from './common.ts';
import { OperationSummary } from './operations.ts';
import type { SecretKind } from './secrets.ts';
import { SecretPath } from './secrets.ts';

/** How a kind is rotated (STRATEGY_OF_KIND). */
export const ROTATION_STRATEGIES = ['generated', 'api-key', 'manual'] as const;
export type RotationStrategy = (typeof ROTATION_STRATEGIES)[number];

/**
 * The strategy registry: one row per kind. `generated`: Atrium makes a random value of the
 * declared shape and hands it to each consumer's verify hook; `api-key`: the value is an
 * Atrium API key, replaced by a new key valid beside the old one for the overlap window;
 * `manual`: Atrium cannot rotate it itself (a provider's OAuth client secret, the password of a
 * database the tenant runs, a key pair of the tenant's), so it reminds the owners and records
 * who confirmed the rotation. Atrium's own credentials have rotations of their own: the
 * tenant's database login (rotateDatabaseLogin) and the platform's signing keys
 * (rotateSigningKey).
 */
export const STRATEGY_OF_KIND: Record<SecretKind, RotationStrategy> = {
  generic: 'generated',
  'api-key': 'api-key',
  'oauth-client-secret': 'manual',
  'database-password': 'manual',
  'signing-key': 'manual',
};

export const GENERATOR_ALPHABETS = ['alphanumeric', 'hex', 'base64url'] as const;
export const RotationGenerator = z
  .strictObject({
    alphabet: z.enum(GENERATOR_ALPHABETS, { error: `Choose one of: ${GENERATOR_ALPHABETS.join(', ')}.` }),
    length: z.int('Must be a whole number.').min(16, 'Use at least 16 characters.').max(256, 'Use at most 256.'),
  })
  .meta({ id: 'RotationGenerator' });
export type RotationGenerator = z.infer<typeof RotationGenerator>;

export const DEFAULT_GENERATOR: RotationGenerator = { alphabet: 'alphanumeric', length: 32 };

const hookUrl = z.url({ protocol: /^https?$/, error: 'Must be an http(s):// URL.' }).max(2_000, 'Too long.');

/** Overlap windows: at least a second (tests), at most 30 days. */
export const OVERLAP_MIN_MS = 1_000;
export const OVERLAP_MAX_MS = 30 * 86_400_000;

export const SecretRotationSettingsRequest = z
  .strictObject({
    generator: RotationGenerator.optional().meta({ description: 'The shape of generated values (generic secrets).' }),
    verifyHooks: z.record(z.string().min(1).max(200), hookUrl).optional().meta({
      description:
        'A URL per consumer (keys: the secret\'s consumers). Each is POSTed `{"phase":"update"|"verify"|"rollback"}` with `Authorization: Bearer <value>`; `verify` must answer 2xx.',
    }),
    overlap: duration
      .optional()
      .meta({ description: 'How long the old value stays valid beside the new one (API keys: the grace period).' }),
    grant: z.int().positive().optional().meta({
      description:
        "A new or changed verify hook of a secret whose environment asks for approvals receives its values, so it needs the caller's approved reveal grant (the number of their reveal request), used up by this change.",
    }),
  })
  .meta({ id: 'SecretRotationSettingsRequest' });
export type SecretRotationSettingsRequest = z.input<typeof SecretRotationSettingsRequest>;

export const SecretRotationSettings = z
  .object({
    strategy: z.enum(ROTATION_STRATEGIES),
    generator: RotationGenerator,
    verifyHooks: z.record(z.string(), z.string()),
    overlapSeconds: z.int().positive(),
    overlap: z.string(),
  })
  .meta({ id: 'SecretRotationSettings' });
export type SecretRotationSettings = z.infer<typeof SecretRotationSettings>;

export const ROTATION_STATUSES = [
  'running',
  'overlap',
  'completed',
  'rolled_back',
  'failed',
  'waiting_confirmation',
  'confirmed',
  'unconfirmed',
] as const;
export const RotationStatus = z.enum(ROTATION_STATUSES);
export type RotationStatus = z.infer<typeof RotationStatus>;

export const CONSUMER_OUTCOMES = ['pending', 'updated', 'verified', 'refused', 'unreachable', 'rolled_back'] as const;
export const ConsumerCheck = z
  .object({
    consumer: z.string(),
    outcome: z.enum(CONSUMER_OUTCOMES),
    updatedAt: z.iso.datetime().nullable(),
    verifiedAt: z.iso.datetime().nullable(),
    detail: z.string().nullable(),
  })
  .meta({ id: 'ConsumerCheck' });
export type ConsumerCheck = z.infer<typeof ConsumerCheck>;

export const SecretRotation = z
  .object({
    number: z.int().positive(),
    secretId: z.uuid(),
    workflowId: z.string(),
    strategy: z.enum(ROTATION_STRATEGIES),
    trigger: z.enum(['schedule', 'manual']),
    status: RotationStatus,
    fromVersion: z.int().positive(),
    toVersion: z.int().positive().nullable(),
    overlapUntil: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'Until when the old value stays valid beside the new one (API keys: the grace period).' }),
    dueAt: z.iso.datetime().nullable().meta({ description: 'Manual rotations: when it must be done.' }),
    report: z.array(ConsumerCheck).meta({ description: 'Every consumer updated and verified, and when.' }),
    message: z.string().nullable(),
    requestedBy: z.string().nullable(),
    confirmedBy: z.string().nullable(),
    confirmedAt: z.iso.datetime().nullable(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SecretRotation' });
export type SecretRotation = z.infer<typeof SecretRotation>;

export const SecretRotationList = z.object({ items: z.array(SecretRotation) }).meta({ id: 'SecretRotationList' });
export type SecretRotationList = z.infer<typeof SecretRotationList>;

export const SecretRotationStarted = z
  .object({ rotation: SecretRotation, operation: OperationSummary })
  .meta({ id: 'SecretRotationStarted' });
export type SecretRotationStarted = z.infer<typeof SecretRotationStarted>;

export const RotateSecretRequest = z.strictObject({}).meta({ id: 'RotateSecretRequest' });

export const SecretRotationPath = SecretPath.extend({
  number: z.coerce.number().int('Must be a whole number.').positive('Must be 1 or more.'),
});

/** The access-token signing keyring as the API shows it (docs/decisions/0030): kids and states, never a key. */
export const SigningKeyStatus = z
  .object({
    kid: z.string(),
    state: z.enum(['next', 'current', 'retiring']),
    createdAt: z.string(),
    /** Retiring keys: when the last token it may have signed expires. */
    notAfter: z.string().nullable(),
  })
  .meta({ id: 'SigningKeyStatus' });
export type SigningKeyStatus = z.infer<typeof SigningKeyStatus>;

/** GET /api/v1/admin/signing-keys: the keyring, and what every live API process holds. */
export const SigningKeysOverview = z
  .object({
    keyringVersion: z.number().int(),
    keys: z.array(SigningKeyStatus),
    processes: z.array(
      z.object({
        id: z.string(),
        hostname: z.string(),
        pid: z.number().int(),
        keyringVersion: z.number().int(),
        signingKid: z.string(),
        kids: z.array(z.string()),
        lastSeenAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'SigningKeysOverview' });
export type SigningKeysOverview = z.infer<typeof SigningKeysOverview>;

/** What a signing keyring's keys sign: access tokens (docs/decisions/0030) or licenses (0038). */
export const SigningKeyPurpose = z.enum(['access-tokens', 'licenses']).meta({ id: 'SigningKeyPurpose' });

/** POST /api/v1/admin/signing-keys/rotations: which keyring to rotate (absent: access tokens). */
export const StartSigningKeyRotationRequest = z
  .strictObject({ purpose: SigningKeyPurpose.default('access-tokens') })
  .meta({ id: 'StartSigningKeyRotationRequest' });

/** A signing keyring's rotation policy (docs/decisions/0038): rotate every `everySeconds` (null: never). */
export const SigningKeyPolicy = z
  .object({
    purpose: SigningKeyPurpose,
    everySeconds: z.number().int().nullable(),
    updatedAt: z.iso.datetime().nullable(),
    /** The Schedule's next due times (empty without a policy). */
    nextRotations: z.array(z.iso.datetime()),
  })
  .meta({ id: 'SigningKeyPolicy' });
export type SigningKeyPolicy = z.infer<typeof SigningKeyPolicy>;

/** GET /api/v1/admin/signing-keys/policies: both keyrings' policies, and the shortest allowed. */
export const SigningKeyPolicies = z
  .object({ minimumSeconds: z.number().int(), policies: z.array(SigningKeyPolicy) })
  .meta({ id: 'SigningKeyPolicies' });
export type SigningKeyPolicies = z.infer<typeof SigningKeyPolicies>;

/** PUT /api/v1/admin/signing-keys/policies: a keyring's new interval in seconds, or null to remove it. */
export const SetSigningKeyPolicyRequest = z
  .strictObject({
    purpose: SigningKeyPurpose,
    everySeconds: z.number().int('Must be whole seconds.').positive('Must be more than 0.').nullable(),
  })
  .meta({ id: 'SetSigningKeyPolicyRequest' });

/** GET /api/v1/admin/signing-keys?purpose=…: which keyring to show (absent: access tokens). */
export const SigningKeysQuery = z.strictObject({ purpose: SigningKeyPurpose.default('access-tokens') });

/** POST /api/v1/admin/signing-keys/rotations: a signing-key rotation started (platform admins). */
export const SigningKeyRotationStarted = z
  .object({ workflowId: z.string(), started: z.boolean() })
  .meta({ id: 'SigningKeyRotationStarted' });
export type SigningKeyRotationStarted = z.infer<typeof SigningKeyRotationStarted>;

// A tenant's database login (docs/decisions/0032, 0036): which of its two logins is current,
// its rotations (from the audit log) and its rotation policy. Platform admins only.

export const DATABASE_LOGIN_ROTATION_OUTCOMES = ['running', 'completed', 'rolled_back', 'failed'] as const;

/** One consumer a rotation checked (never a password). */
export const DatabaseLoginConsumerCheck = z
  .object({
    consumer: z.string(),
    outcome: z.string(),
    /** When the rotation checked it (the verification's audit entry). */
    at: z.string(),
  })
  .meta({ id: 'DatabaseLoginConsumerCheck' });

export const DatabaseLoginRotation = z
  .object({
    rotationId: z.string(),
    /** The operation (workflow id) that ran it: `database-login-rotate/<slug>/<rotation id>`. */
    operationId: z.string(),
    trigger: z.enum(['admin', 'schedule']),
    startedAt: z.string(),
    /** When the new login became current (null: it did not, or not yet). */
    switchedAt: z.string().nullable(),
    /** When it ended: the old login disabled, or the roll-back alerted. */
    endedAt: z.string().nullable(),
    outcome: z.enum(DATABASE_LOGIN_ROTATION_OUTCOMES),
    fromLogin: z.string().nullable(),
    toLogin: z.string().nullable(),
    /** The last verify's answer per consumer. */
    report: z.array(DatabaseLoginConsumerCheck),
    /** Why it rolled back. */
    reason: z.string().nullable(),
  })
  .meta({ id: 'DatabaseLoginRotation' });
export type DatabaseLoginRotation = z.infer<typeof DatabaseLoginRotation>;

export const DatabaseLoginPolicy = z
  .object({
    every: z.string(),
    everySeconds: z.number().int(),
    updatedAt: z.string(),
    /** When the Schedule rotates next (null: paused, e.g. while the tenant is suspended). */
    nextDueAt: z.string().nullable(),
  })
  .meta({ id: 'DatabaseLoginPolicy' });
export type DatabaseLoginPolicy = z.infer<typeof DatabaseLoginPolicy>;

/** GET /api/v1/tenants/:slug/database-login. */
export const DatabaseLoginOverview = z
  .object({
    /** The login the tenant's consumers use (tenant_resources.database_role); null before provisioning made it. */
    currentLogin: z.string().nullable(),
    /** When the current login became current by a rotation (null: never rotated). */
    rotatedAt: z.string().nullable(),
    /** The rotation under way, if any. */
    rotating: z.object({ rotationId: z.string(), operationId: z.string() }).nullable(),
    policy: DatabaseLoginPolicy.nullable(),
    /** The shortest policy allowed (SECRET_ROTATION_MINIMUM). */
    minimumEvery: z.string(),
    /** Newest first, at most 20. */
    rotations: z.array(DatabaseLoginRotation),
  })
  .meta({ id: 'DatabaseLoginOverview' });
export type DatabaseLoginOverview = z.infer<typeof DatabaseLoginOverview>;

/** PUT /api/v1/tenants/:slug/database-login/policy. */
export const DatabaseLoginPolicyRequest = z
  .strictObject({
    every: duration.meta({ description: 'How often the login is rotated: at least SECRET_ROTATION_MINIMUM.' }),
  })
  .meta({ id: 'DatabaseLoginPolicyRequest' });
export type DatabaseLoginPolicyRequest = z.input<typeof DatabaseLoginPolicyRequest>;
