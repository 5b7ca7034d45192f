// The strategy registry: how each kind's new value is made, and what else its rotation does at
// the switch, at the end of the overlap window and on a roll-back. The kinds without an entry
// here (database logins, signing keys) are refused before a rotation starts, naming the kind
// (contracts/secret-rotation.ts, STRATEGY_OF_KIND); adding one is an entry in this table.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ApplicationFailure } from '@temporalio/activity';
import type { Role } from '../../contracts/members.ts';
import type { RotationStrategy } from '../../contracts/secret-rotation.ts';
import { DEFAULT_GENERATOR } from '../../contracts/secret-rotation.ts';
import {
  expireApiKeyBy,
  findActiveApiKeyByName,
  findTenantApiKeyByPrefix,
  insertApiKey,
  revokeApiKeyBySystem,
} from '../../db/repositories/api-keys.ts';
import type { StoredRotationSettings } from '../../db/repositories/secret-rotations.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';
import { API_KEY_PATTERN, generateApiKey, hashApiKey } from '../../integrations/api-keys/format.ts';
import { ROTATION_FAILURE_TYPES } from '../../workflows/secret-rotation/contract.ts';

export interface StrategyContext {
  db: EntityManager;
  /** The locked transaction: what a strategy changes is audited and emitted in it. */
  tx: TenantStepTransaction;
  tenantId: string;
  /** The rotation's number: names what it creates, so a retry finds it. */
  number: number;
  settings: StoredRotationSettings;
}

/** What an automatic strategy does beyond storing and handing out the value. */
export interface AutomaticStrategy {
  /** The new value, made before anything is written (it goes to the secret store first). */
  makeValue(settings: StoredRotationSettings): string;
  /**
   * Makes the new value valid beside the current one (an API key's row). Runs in the tenant's
   * locked transaction that records the new version, so it commits with it or not at all.
   */
  commit?(ctx: StrategyContext, currentValue: string, newValue: string): Promise<void>;
  /** Consumers Atrium checks itself (an API key must authenticate): name → null when fine, else why not. */
  selfCheck?(ctx: StrategyContext, value: string): Promise<{ consumer: string; problem: string | null }>;
  /** At the switch: the old value stops working at `overlapUntil` at the latest (the grace period shown). */
  onSwitch?(ctx: StrategyContext, oldValue: string, overlapUntil: Date): Promise<void>;
  /** At the end of the overlap window. */
  retire?(ctx: StrategyContext, oldValue: string): Promise<void>;
  /** On a roll-back: undo what newValue created. */
  abandon?(ctx: StrategyContext, newValue: string): Promise<void>;
}

const ALPHABETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
} as const;

/** A uniformly random string over the alphabet (rejection sampling: no modulo bias). */
export function randomValue(alphabet: keyof typeof ALPHABETS, length: number): string {
  const letters = ALPHABETS[alphabet];
  const limit = 256 - (256 % letters.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= limit) continue;
      out += letters[byte % letters.length];
      if (out.length === length) break;
    }
  }
  return out;
}

const generated: AutomaticStrategy = {
  makeValue(settings) {
    const generator = settings.generator ?? DEFAULT_GENERATOR;
    return randomValue(generator.alphabet, generator.length);
  },
};

/** The live key of the tenant the value is; fails the rotation when it is none. */
async function keyOf(ctx: StrategyContext, value: string) {
  const match = API_KEY_PATTERN.exec(value);
  const key = match ? await findTenantApiKeyByPrefix(ctx.db, ctx.tenantId, match[1]!) : null;
  if (!key || !timingSafeEqual(key.secret_hash, hashApiKey(value)))
    throw ApplicationFailure.nonRetryable(
      "The secret's current value is not an API key of this tenant: an api-key secret must hold an Atrium API key to be rotated.",
      ROTATION_FAILURE_TYPES.unusable,
    );
  return key;
}

/** Revokes the key (once), audited and emitted like a member's revocation. */
async function revoke(
  ctx: StrategyContext,
  key: { id: string; name: string; prefix: string; role: Role },
): Promise<void> {
  if (!(await revokeApiKeyBySystem(ctx.db, key.id))) return;
  await ctx.tx.auditChange(
    'api_key.revoked',
    'api_key',
    key.id,
    { name: key.name, prefix: key.prefix, role: key.role },
    { rotation: ctx.number },
  );
  await ctx.tx.emit('api_key.revoked', { apiKeyId: key.id, name: key.name, prefix: key.prefix, role: key.role });
}

/** `deploy (rotation 3)`: the successor's name (names of active keys are unique per tenant). */
function successorName(name: string, number: number): string {
  return `${name.replace(/ \(rotation \d+\)$/, '').slice(0, 80)} (rotation ${number})`;
}

const apiKey: AutomaticStrategy = {
  makeValue() {
    return generateApiKey().key;
  },
  async commit(ctx, currentValue, newValue) {
    const old = await keyOf(ctx, currentValue);
    if (old.revoked_at)
      throw ApplicationFailure.nonRetryable(
        'The API key this secret holds is revoked: set a live key as its value, then rotate.',
        ROTATION_FAILURE_TYPES.unusable,
      );
    const name = successorName(old.name, ctx.number);
    // A key from an attempt whose transaction failed cannot exist (same transaction); one made
    // by hand with this name is in the way and is not ours to revoke.
    if (await findActiveApiKeyByName(ctx.db, ctx.tenantId, name))
      throw ApplicationFailure.nonRetryable(
        `An API key named "${name}" exists already; rename it, then rotate again.`,
        ROTATION_FAILURE_TYPES.unusable,
      );
    const id = await insertApiKey(ctx.db, {
      tenantId: ctx.tenantId,
      name,
      prefix: API_KEY_PATTERN.exec(newValue)![1]!,
      secretHash: hashApiKey(newValue),
      role: old.role,
      createdBy: old.created_by as string,
      expiresAt: null,
    });
    if (!id) throw new Error(`The API key "${name}" could not be created; retrying.`);
    const prefix = API_KEY_PATTERN.exec(newValue)![1]!;
    await ctx.tx.audit('api_key.created', 'api_key', id, {
      name,
      prefix,
      role: old.role,
      expiresAt: null,
      rotation: ctx.number,
    });
    await ctx.tx.emit('api_key.created', { apiKeyId: id, name, prefix, role: old.role, expiresAt: null });
  },
  async selfCheck(ctx, value) {
    const key = await keyOf(ctx, value).catch(() => null);
    const problem = !key
      ? 'The new key is not found.'
      : key.revoked_at
        ? 'The new key is revoked.'
        : key.expires_at && key.expires_at.getTime() <= Date.now()
          ? 'The new key has expired.'
          : null;
    return { consumer: 'Atrium API (the new key authenticates)', problem };
  },
  async onSwitch(ctx, oldValue, overlapUntil) {
    await expireApiKeyBy(ctx.db, (await keyOf(ctx, oldValue)).id, overlapUntil);
  },
  async retire(ctx, oldValue) {
    await revoke(ctx, await keyOf(ctx, oldValue));
  },
  async abandon(ctx, newValue) {
    const key = await keyOf(ctx, newValue).catch(() => null);
    if (key) await revoke(ctx, key);
  },
};

/** The automatic strategies; `manual` has no value to make (a reminder instead). */
export const AUTOMATIC_STRATEGIES: Record<Exclude<RotationStrategy, 'manual'>, AutomaticStrategy> = {
  generated,
  'api-key': apiKey,
};
