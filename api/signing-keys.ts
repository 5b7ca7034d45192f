// The access-token signing keys of this API process (docs/decisions/0030). They live in the
// secret store's platform keyring (integrations/secrets/signing-keyring.ts), which a rotation
// rewrites; every API process rereads it every SIGNING_KEYS_RELOAD_INTERVAL and then reports
// what it holds in api_processes, which is how the rotation knows every process has a new key
// before anyone signs with it, and signs with it before the old one goes.
//
// The report follows a successful read only: a process that cannot reach the store keeps its
// keys, stops reporting and so stops counting as live for a rotation, which therefore never
// waits on it, but a key it still holds may be removed from the others' keyrings; its log
// says so every time a reload fails.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import { forgetGoneApiProcesses, removeApiProcess, reportApiProcess } from '../db/repositories/api-processes.ts';
import { withPlatformScope } from '../db/scope.ts';
import type { SecretStore } from '../integrations/secrets/port.ts';
import { ensureSigningKeyring, readSigningKeyring } from '../integrations/secrets/signing-keyring.ts';
import type { Logger } from '../logging/logger.ts';
import type { RotatingAccessTokens } from './auth/access-tokens.ts';
import { createRotatingAccessTokens } from './auth/access-tokens.ts';

/** A process unseen for this many reload intervals is not live (a rotation does not wait on it). */
export const LIVE_WITHIN_RELOADS = 3;
/** Rows of processes unseen for a day are deleted (a crashed process never deletes its own). */
const FORGET_AFTER_MS = 86_400_000;

export interface SigningKeysOptions {
  dataSource: DataSource;
  secretStore: SecretStore;
  logger: Logger;
  /** JWT_PRIVATE_KEY: the first key when the store has no keyring yet. */
  seedPrivateKeyPem: string | undefined;
  /** The keyring's secret path (signingKeyringPath of TEMPORAL_TASK_QUEUE). */
  keyringPath: string;
  issuer: string;
  audience: string;
  ttlMs: number;
  reloadIntervalMs: number;
}

export interface SigningKeys {
  accessTokens: RotatingAccessTokens;
  /** This process's row in api_processes. */
  processId: string;
  /** Rereads the keyring now and reports (the timer's work; tests and shutdown need no more). */
  reload(): Promise<void>;
  /** Stops rereading and deletes this process's row. */
  stop(): Promise<void>;
}

export async function startSigningKeys(options: SigningKeysOptions): Promise<SigningKeys> {
  const { dataSource, secretStore, logger } = options;
  const processId = randomUUID();
  let keyring = await ensureSigningKeyring(secretStore, options.keyringPath, options.seedPrivateKeyPem);
  const accessTokens = await createRotatingAccessTokens(
    { issuer: options.issuer, audience: options.audience, ttlMs: options.ttlMs },
    keyring.keys,
  );

  const report = () =>
    withPlatformScope(dataSource, async (db) => {
      const { kids, signingKid } = accessTokens.loaded();
      await reportApiProcess(db, {
        id: processId,
        hostname: hostname(),
        pid: process.pid,
        keyringVersion: keyring.version,
        signingKid,
        kids,
      });
    });
  await report();
  await withPlatformScope(dataSource, (db) => forgetGoneApiProcesses(db, FORGET_AFTER_MS));
  logger.info('Access-token signing keys loaded', {
    keyringVersion: keyring.version,
    signingKid: accessTokens.loaded().signingKid,
    kids: accessTokens.loaded().kids,
  });

  const reload = async (): Promise<void> => {
    const read = await readSigningKeyring(secretStore, options.keyringPath);
    if (!read) throw new Error('The signing keyring is gone from the secret store');
    if (read.version !== keyring.version) {
      await accessTokens.load(read.keys);
      keyring = read;
      logger.info('Access-token signing keys reloaded', {
        keyringVersion: keyring.version,
        signingKid: accessTokens.loaded().signingKid,
        kids: accessTokens.loaded().kids,
      });
    }
    await report();
  };

  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(reload).catch((error: unknown) => {
      logger.warn('The signing keyring could not be reread: this process keeps its keys and is not reported', {
        error,
      });
    });
  }, options.reloadIntervalMs);
  timer.unref();

  return {
    accessTokens,
    processId,
    reload: () => (running = running.catch(() => undefined).then(reload)),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
      await withPlatformScope(dataSource, (db) => removeApiProcess(db, processId)).catch((error: unknown) =>
        logger.warn('This process could not remove its api_processes row (it ages out)', { error }),
      );
    },
  };
}
