// A tenant's managed secrets: what the API, the portal and the tests say about them. The
// metadata (name, kind, environment, versions, rotation policy, consumers) is the wire
// shape; a value appears in exactly two places: the requests that set it, and the answer of
// the audited reveal.
import { z } from 'zod';
import { duration, TenantPath } from './common.ts';
import { OperationStarted } from './operations.ts';

/**
 * What a secret is for. Rotation (a later workflow) has one strategy per kind; kinds Atrium
 * cannot rotate itself (a provider's OAuth client secret) will get a reminder instead.
 */
export const SECRET_KINDS = ['generic', 'database-password', 'api-key', 'oauth-client-secret', 'signing-key'] as const;
export const SecretKind = z.enum(SECRET_KINDS, { error: `Choose one of: ${SECRET_KINDS.join(', ')}.` });
export type SecretKind = z.infer<typeof SecretKind>;

/** Letters, digits, `_`, `-` and `.`, starting with a letter or digit (fits an environment variable or a file name). */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const secretName = z
  .string()
  .trim()
  .min(1, 'Enter a name.')
  .max(100, 'Use at most 100 characters.')
  .regex(SECRET_NAME_PATTERN, 'Use letters, digits, _, - and . only, starting with a letter or digit.');

/** Like a cluster environment's name (`production`, `staging`): lowercase, at most 15 characters. */
export const secretEnvironment = z
  .string()
  .trim()
  .min(1, 'Enter an environment.')
  .max(15, 'Use at most 15 characters.')
  .regex(/^[a-z][a-z0-9-]*$/, 'Use lowercase letters, digits and -, starting with a letter.');

/** 64 KiB: certificates and keys fit; this is not a file store. */
export const SECRET_VALUE_MAX_LENGTH = 65_536;
export const secretValue = z
  .string()
  .min(1, 'Enter the value.')
  .max(SECRET_VALUE_MAX_LENGTH, `Use at most ${SECRET_VALUE_MAX_LENGTH} characters.`);

/** Who uses the secret (a deployment, a job, a service), as the tenant names them. */
export const secretConsumers = z
  .array(z.string().trim().min(1, 'Name the consumer.').max(200, 'Use at most 200 characters.'))
  .max(20, 'Name at most 20 consumers.')
  .refine((items) => new Set(items).size === items.length, 'Name each consumer once.');

/** How often the secret should be rotated; the plan needs `secret-rotation`, and the API sets a minimum. */
export const SecretRotationPolicyRequest = z
  .strictObject({
    every: duration.meta({ description: 'A duration such as `30d` or `12h`; at least the configured minimum.' }),
  })
  .meta({ id: 'SecretRotationPolicyRequest' });

export const CreateSecretRequest = z
  .strictObject({
    name: secretName,
    kind: SecretKind,
    environment: secretEnvironment.default('production'),
    description: z.string().trim().max(500, 'Use at most 500 characters.').default(''),
    value: secretValue,
    consumers: secretConsumers.default([]),
    rotationPolicy: SecretRotationPolicyRequest.nullable().default(null),
  })
  .meta({ id: 'CreateSecretRequest' });
/** What a client sends (environment, description, consumers and rotationPolicy may be left out). */
export type CreateSecretRequest = z.input<typeof CreateSecretRequest>;

export const UpdateSecretRequest = z
  .strictObject({
    description: z.string().trim().max(500, 'Use at most 500 characters.').optional(),
    consumers: secretConsumers.optional(),
    rotationPolicy: SecretRotationPolicyRequest.nullable().optional(),
  })
  .meta({ id: 'UpdateSecretRequest' });
export type UpdateSecretRequest = z.input<typeof UpdateSecretRequest>;

export const NewSecretVersionRequest = z.strictObject({ value: secretValue }).meta({ id: 'NewSecretVersionRequest' });
export type NewSecretVersionRequest = z.infer<typeof NewSecretVersionRequest>;

export const RevealSecretRequest = z
  .strictObject({
    version: z
      .int('Must be a whole number.')
      .positive('Must be 1 or more.')
      .optional()
      .meta({ description: 'An older version still in its retention period; default: the current one.' }),
    grant: z.int('Must be a whole number.').positive('Must be 1 or more.').optional().meta({
      description:
        'A production secret: the number of your approved reveal request (`secret-reveal/<tenant>/<secret>/<n>`); usable once, within SECRET_REVEAL_GRANT_WINDOW.',
    }),
  })
  .meta({ id: 'RevealSecretRequest' });
export type RevealSecretRequest = z.infer<typeof RevealSecretRequest>;

export const SecretRotationPolicy = z
  .object({ everySeconds: z.int().positive(), every: z.string().meta({ description: 'As it was given, e.g. `30d`.' }) })
  .meta({ id: 'SecretRotationPolicy' });
export type SecretRotationPolicy = z.infer<typeof SecretRotationPolicy>;

/** The policy a secret is rotated by: its own, or its kind's default (docs/decisions/0039). */
export const SecretEffectivePolicy = SecretRotationPolicy.extend({ source: z.enum(['secret', 'kind']) }).meta({
  id: 'SecretEffectivePolicy',
});
export type SecretEffectivePolicy = z.infer<typeof SecretEffectivePolicy>;

export const Secret = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: SecretKind,
    environment: z.string(),
    description: z.string(),
    version: z.int().positive().meta({ description: 'The current version.' }),
    consumers: z.array(z.string()),
    rotationPolicy: SecretRotationPolicy.nullable().meta({ description: "The secret's own policy." }),
    effectivePolicy: SecretEffectivePolicy.nullable().meta({
      description: "The policy its Schedule runs: its own, else its kind's default (null: none).",
    }),
    createdBy: z.string().nullable().meta({ description: "The creator's email." }),
    createdAt: z.iso.datetime(),
    rotatedAt: z.iso.datetime().nullable().meta({ description: 'When the current version replaced the one before.' }),
    nextRotationAt: z.iso.datetime().nullable().meta({ description: 'Due date under the rotation policy.' }),
  })
  .meta({ id: 'Secret' });
export type Secret = z.infer<typeof Secret>;

/**
 * The Temporal Schedule that runs a secret's rotation policy, as GET of one secret shows it:
 * `scheduled` with its next due times; `none` without a policy (or with one whose Schedule is
 * missing: setting the policy again recreates it); `unavailable` when Temporal did not answer.
 */
export const SecretRotationSchedule = z
  .object({
    state: z.enum(['scheduled', 'none', 'unavailable']),
    paused: z.boolean().meta({ description: 'Paused (a suspended tenant): nothing is started until resumed.' }),
    nextRotations: z.array(z.iso.datetime()).meta({ description: 'When the Schedule starts the next rotations.' }),
  })
  .meta({ id: 'SecretRotationSchedule' });
export type SecretRotationSchedule = z.infer<typeof SecretRotationSchedule>;

/** One secret with its rotation Schedule (GET /secrets/:secretId). */
export const SecretDetail = Secret.extend({ schedule: SecretRotationSchedule }).meta({ id: 'SecretDetail' });
export type SecretDetail = z.infer<typeof SecretDetail>;

export const SecretList = z.object({ items: z.array(Secret) }).meta({ id: 'SecretList' });
export type SecretList = z.infer<typeof SecretList>;

export const SecretListQuery = z.strictObject({ environment: secretEnvironment.optional() });

export const SecretVersion = z
  .object({
    version: z.int().positive(),
    current: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.iso.datetime(),
    supersededAt: z.iso.datetime().nullable(),
    /** When the value is destroyed (the retention period's end); null for the current version of a live secret. */
    retainedUntil: z.iso.datetime().nullable(),
    /** When the value was destroyed; it can no longer be revealed. */
    purgedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SecretVersion' });
export type SecretVersion = z.infer<typeof SecretVersion>;

export const SecretVersionList = z
  .object({ secret: Secret, items: z.array(SecretVersion) })
  .meta({ id: 'SecretVersionList' });
export type SecretVersionList = z.infer<typeof SecretVersionList>;

export const RevealedSecret = z
  .object({
    secretId: z.uuid(),
    version: z.int().positive(),
    value: z.string().meta({ description: 'The value; this reveal is in the audit log.' }),
  })
  .meta({ id: 'RevealedSecret' });
export type RevealedSecret = z.infer<typeof RevealedSecret>;

export const SecretPath = TenantPath.extend({ secretId: z.uuid('Must be a secret id (UUID).') });

/** The portal's create form: consumers one per line, the rotation policy as an optional duration. */
export const SecretForm = z.object({
  name: secretName,
  kind: SecretKind,
  environment: secretEnvironment,
  description: z.string().trim().max(500, 'Use at most 500 characters.').default(''),
  value: secretValue,
  consumers: z.string().max(5_000, 'Too long.').default(''),
  rotation: z
    .string()
    .trim()
    .regex(/^(\d+(ms|s|m|h|d))?$/, 'Use a duration like 30d or 12h, or leave it empty.')
    .default(''),
});
export type SecretForm = z.infer<typeof SecretForm>;

/** The secret page's rotation policy form (turning the policy off is a button of its own). */
export const SecretPolicyForm = z.object({
  every: z
    .string()
    .trim()
    .regex(/^\d+(ms|s|m|h|d)$/, 'Use a duration like 30d or 12h.'),
});

/** The secret page's consumers editor: one consumer per line. */
export const SecretConsumersForm = z.object({ consumers: z.string().max(5_000, 'Too long.').default('') });

/** The consumers a form's text names: one per line, blank lines skipped. */
export function consumersFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The API body for what the create form asked. */
export function secretBodyFromForm(form: SecretForm): CreateSecretRequest {
  return {
    name: form.name,
    kind: form.kind,
    environment: form.environment,
    description: form.description,
    value: form.value,
    consumers: consumersFromText(form.consumers),
    rotationPolicy: form.rotation ? { every: form.rotation } : null,
  };
}

/**
 * A new value or a reveal of a secret whose environment's approval policy asks for an approval
 * (docs/decisions/0035): 202 with the operation (`secret-change/…` or `secret-reveal/…`) and
 * the approval request. A change's value is staged, not current, until the approval.
 */
export const SecretApprovalStarted = OperationStarted.extend({
  kind: z.enum(['change', 'reveal']),
  number: z.int().positive().meta({ description: 'The change’s or reveal’s number (a reveal grant names it).' }),
  approval: z.object({
    requestId: z.string(),
    rule: z.string().meta({ description: 'The rule of the environment’s policy that applies.' }),
    environment: z.string(),
  }),
}).meta({ id: 'SecretApprovalStarted' });
export type SecretApprovalStarted = z.infer<typeof SecretApprovalStarted>;

/** PUT /secret-kind-policies/:kind: the kind's default rotation policy; null turns it off. */
export const SecretKindPolicyRequest = z
  .strictObject({
    every: duration
      .nullable()
      .meta({ description: 'A duration such as `30d`; at least SECRET_ROTATION_MINIMUM. null: no default.' }),
  })
  .meta({ id: 'SecretKindPolicyRequest' });
export type SecretKindPolicyRequest = z.input<typeof SecretKindPolicyRequest>;

export const SecretKindPolicyPath = TenantPath.extend({ kind: SecretKind });

export const SecretKindPolicy = z
  .object({ kind: SecretKind, policy: SecretRotationPolicy.nullable() })
  .meta({ id: 'SecretKindPolicy' });
export type SecretKindPolicy = z.infer<typeof SecretKindPolicy>;

/** Every kind with its default policy (or null), and the shortest interval accepted. */
export const SecretKindPolicyList = z
  .object({
    items: z.array(SecretKindPolicy),
    minimum: z.string().meta({ description: 'SECRET_ROTATION_MINIMUM, e.g. `1h`.' }),
    minimumSeconds: z.number().positive(),
  })
  .meta({ id: 'SecretKindPolicyList' });
export type SecretKindPolicyList = z.infer<typeof SecretKindPolicyList>;
