// Configuration is read once and fails listing every bad variable.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { readApiConfig } from '../../api/config.ts';
import { ConfigError } from '../../config/env.ts';
import { readWorkerConfig } from '../../worker/config.ts';

const JWT_PRIVATE_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('configuration', () => {
  it('names every invalid variable at once', () => {
    const error = (() => {
      try {
        readApiConfig({
          DATABASE_URL: 'mysql://x',
          JWT_PRIVATE_KEY: 'not a key',
          PORT: 'eighty',
          ACTIVITY_HEARTBEAT_TIMEOUT: '10 seconds',
          BODY_LIMIT: 'huge',
        });
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), [
      'ACTIVITY_HEARTBEAT_TIMEOUT',
      'BODY_LIMIT',
      'DATABASE_URL',
      'JWT_PRIVATE_KEY',
      'PORT',
    ]);
    assert.match(error.message, /ACTIVITY_HEARTBEAT_TIMEOUT: must be a duration like 500ms, 30s/);
  });

  it('requires DATABASE_URL for the worker', () => {
    assert.throws(
      () => readWorkerConfig({}),
      (error: unknown) => error instanceof ConfigError && /DATABASE_URL/.test(error.message),
    );
  });

  it('applies defaults and parses durations and sizes', () => {
    const config = readApiConfig({
      JWT_PRIVATE_KEY: JWT_PRIVATE_KEY.replaceAll('\n', '\\n'),
      DATABASE_URL: 'postgres://localhost/atrium',
      ACTIVITY_HEARTBEAT_TIMEOUT: '3s',
      BODY_LIMIT: '1mb',
    });
    assert.equal(config.port, 3000);
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.settings.activityTimings.heartbeatTimeoutMs, 3_000);
    assert.equal(config.settings.activityTimings.startToCloseTimeoutMs, 600_000);
    assert.equal(config.settings.bodyLimitBytes, 1024 * 1024);
    assert.equal(config.portalMode, 'production');
    assert.equal(config.accessTokens.seedPrivateKeyPem, JWT_PRIVATE_KEY, 'one-line PEM is turned back into lines');
  });

  it('reads TENANT_RATE_LIMITS: each plan its own by default, off, or overrides naming plans', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(base).settings.tenantRateLimits, { free: 1_200, team: 6_000, enterprise: 30_000 });
    assert.equal(readApiConfig({ ...base, TENANT_RATE_LIMITS: 'off' }).settings.tenantRateLimits, null);
    assert.deepEqual(readApiConfig({ ...base, TENANT_RATE_LIMITS: 'free=60, team=600' }).settings.tenantRateLimits, {
      free: 60,
      team: 600,
      enterprise: 30_000,
    });
    for (const wrong of ['free=0', 'gold=10', 'free=ten', 'free', 'free=1=2'])
      assert.throws(
        () => readApiConfig({ ...base, TENANT_RATE_LIMITS: wrong }),
        (error: unknown) =>
          error instanceof ConfigError && /TENANT_RATE_LIMITS: must be plans, off, or/.test(error.message),
        wrong,
      );
  });

  it('reads APPROVAL_PLANS: enterprise by default (also when empty), a list, or none', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    const plans = (value?: string) =>
      readApiConfig(value === undefined ? base : { ...base, APPROVAL_PLANS: value }).settings.approval.plans;
    assert.deepEqual(plans(), ['enterprise']);
    assert.deepEqual(plans(''), ['enterprise'], 'an empty value is unset, as for every setting');
    assert.deepEqual(plans('team, enterprise'), ['team', 'enterprise']);
    assert.deepEqual(plans('none'), []);
    assert.throws(
      () => plans('gold'),
      (error: unknown) => error instanceof ConfigError && /APPROVAL_PLANS/.test(error.message),
    );
  });

  it('disables paused webhook endpoints after WEBHOOK_DISABLE_AFTER, which must outlast WEBHOOK_PAUSE_AFTER', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    const defaults = readApiConfig(base).settings.webhooks;
    assert.equal(defaults.policy.pauseAfterMs, 86_400_000);
    assert.equal(defaults.policy.disableAfterMs, 5 * 86_400_000);
    assert.equal(defaults.finalDeliveryWaitMs, 3_600_000);
    assert.throws(
      () => readApiConfig({ ...base, WEBHOOK_PAUSE_AFTER: '2d', WEBHOOK_DISABLE_AFTER: '1d' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /WEBHOOK_DISABLE_AFTER: must be longer than WEBHOOK_PAUSE_AFTER/.test(error.message),
    );
  });

  it('keeps replaced secret values SECRET_VERSION_RETENTION and refuses rotation policies under SECRET_ROTATION_MINIMUM', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(base).settings.secrets, {
      versionRetentionMs: 30 * 86_400_000,
      rotationMinimumMs: 86_400_000,
      retentionSweepIntervalMs: 3_600_000,
      revealGrantWindowMs: 15 * 60_000,
      databaseLoginOverlapMs: 5 * 60_000,
    });
    assert.deepEqual(
      readApiConfig({
        ...base,
        SECRET_VERSION_RETENTION: '3s',
        SECRET_ROTATION_MINIMUM: '10s',
        DATABASE_LOGIN_OVERLAP: '2s',
      }).settings.secrets,
      {
        versionRetentionMs: 3_000,
        rotationMinimumMs: 10_000,
        retentionSweepIntervalMs: 3_600_000,
        revealGrantWindowMs: 15 * 60_000,
        databaseLoginOverlapMs: 2_000,
      },
    );
    assert.throws(
      () => readApiConfig({ ...base, SECRET_VERSION_RETENTION: 'a month', SECRET_ROTATION_MINIMUM: '500ms' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /SECRET_VERSION_RETENTION: must be a duration/.test(error.message) &&
        /SECRET_ROTATION_MINIMUM: must be at least 1s/.test(error.message),
    );
  });

  it('reads the metering reconciliation policy, refusing a correction window Stripe would not honour, and STRIPE_METERS', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(base).settings.metering, {
      schedule: true,
      intervalMs: 3_600_000,
      policy: {
        settlingDelayMs: 600_000,
        correctionWindowMs: 35 * 86_400_000,
        resendHorizonMs: 12 * 3_600_000,
        checkRounds: 3,
        tenantConcurrency: 2,
      },
    });
    assert.equal(readApiConfig({ ...base, METERING_SCHEDULE: 'off' }).settings.metering.schedule, false);
    assert.throws(
      () => readApiConfig({ ...base, METERING_CORRECTION_WINDOW: '40d' }),
      (error: unknown) =>
        error instanceof ConfigError && /METERING_CORRECTION_WINDOW: must be at most 35d/.test(error.message),
    );
    const stripe = { DATABASE_URL: 'postgres://localhost/atrium', STRIPE_SECRET_KEY: 'sk_test_x' };
    const meters = readWorkerConfig({
      ...stripe,
      STRIPE_METERS: '{"compute.seconds":{"id":"mtr_123","event":"compute_seconds"}}',
    }).billing;
    assert.deepEqual(meters.kind === 'stripe' && meters.meters, {
      'compute.seconds': { id: 'mtr_123', event: 'compute_seconds' },
    });
    assert.throws(
      () => readWorkerConfig({ ...stripe, STRIPE_METERS: '{"cpu":{"id":"mtr_1","event":"cpu"}}' }),
      (error: unknown) => error instanceof ConfigError && /STRIPE_METERS/.test(error.message),
    );
  });

  it('keeps usage events USAGE_RETENTION (400 days), never less than the reconciliation reads back', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(base).settings.usageRetention, {
      retentionMs: 400 * 86_400_000,
      sweepIntervalMs: 3_600_000,
    });
    assert.equal(
      readApiConfig({ ...base, USAGE_RETENTION: '90d' }).settings.usageRetention.retentionMs,
      90 * 86_400_000,
    );
    assert.throws(
      () => readApiConfig({ ...base, USAGE_RETENTION: '36d' }),
      (error: unknown) => error instanceof ConfigError && /USAGE_RETENTION: must be at least 50d/.test(error.message),
    );
    // A shorter correction window still leaves the 50 days' floor.
    assert.throws(
      () => readApiConfig({ ...base, METERING_CORRECTION_WINDOW: '7d', USAGE_RETENTION: '30d' }),
      (error: unknown) => error instanceof ConfigError && /USAGE_RETENTION/.test(error.message),
    );
    assert.equal(readWorkerConfig({ DATABASE_URL: 'postgres://localhost/atrium' }).usageMeteringIntervalMs, 10_000);
  });

  it('samples the metrics history every METRICS_HISTORY_INTERVAL for METRICS_HISTORY_WINDOW, within bounds', () => {
    const base = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(base).metricsHistory, { intervalMs: 10_000, windowMs: 3_600_000 });
    assert.deepEqual(readApiConfig({ ...base, METRICS_HISTORY_INTERVAL: '1s' }).metricsHistory, {
      intervalMs: 1_000,
      windowMs: 3_600_000,
    });
    const refused = (env: Record<string, string>, variable: RegExp) =>
      assert.throws(
        () => readApiConfig({ ...base, ...env }),
        (error: unknown) => error instanceof ConfigError && variable.test(error.message),
      );
    refused({ METRICS_HISTORY_INTERVAL: '500ms' }, /METRICS_HISTORY_INTERVAL: must be at least 1s/);
    refused({ METRICS_HISTORY_WINDOW: '5s' }, /METRICS_HISTORY_WINDOW: must be from METRICS_HISTORY_INTERVAL/);
    refused({ METRICS_HISTORY_WINDOW: '2d' }, /METRICS_HISTORY_WINDOW/);
    refused({ METRICS_HISTORY_INTERVAL: '1s', METRICS_HISTORY_WINDOW: '2h' }, /at most 3600/);
  });

  it('signs webhooks with the real clock unless WEBHOOK_TEST_SIGNING_CLOCK accelerates it', () => {
    const base = { DATABASE_URL: 'postgres://localhost/atrium' };
    assert.equal(readWorkerConfig(base).webhookTestSigningClock, null);
    assert.deepEqual(
      readWorkerConfig({ ...base, WEBHOOK_TEST_SIGNING_CLOCK: '100x@1764100000000' }).webhookTestSigningClock,
      {
        rate: 100,
        epochMs: 1_764_100_000_000,
      },
    );
    for (const wrong of ['fast', '0.5x@1764100000000', '100x'])
      assert.throws(
        () => readWorkerConfig({ ...base, WEBHOOK_TEST_SIGNING_CLOCK: wrong }),
        (error: unknown) =>
          error instanceof ConfigError && /WEBHOOK_TEST_SIGNING_CLOCK: must be <rate>x@<epoch ms>/.test(error.message),
      );
  });

  it('treats empty variables as unset', () => {
    const config = readWorkerConfig({
      DATABASE_URL: 'postgres://localhost/atrium',
      LOG_LEVEL: '',
      WORKER_SHUTDOWN_GRACE_TIME: '',
    });
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownGraceTimeMs, 30_000);
  });

  it('keeps tenant-given addresses off loopback unless OUTBOUND_ALLOW_LOOPBACK=true, in both processes', () => {
    const api = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    const worker = { DATABASE_URL: 'postgres://localhost/atrium' };
    assert.deepEqual(readApiConfig(api).outbound, { allowLoopback: false });
    assert.deepEqual(readWorkerConfig(worker).outbound, { allowLoopback: false });
    assert.deepEqual(readApiConfig({ ...api, OUTBOUND_ALLOW_LOOPBACK: 'true' }).outbound, { allowLoopback: true });
    assert.deepEqual(readWorkerConfig({ ...worker, OUTBOUND_ALLOW_LOOPBACK: 'true' }).outbound, {
      allowLoopback: true,
    });
    assert.throws(
      () => readWorkerConfig({ ...worker, OUTBOUND_ALLOW_LOOPBACK: 'yes' }),
      (error: unknown) =>
        error instanceof ConfigError && /OUTBOUND_ALLOW_LOOPBACK: must be true or false/.test(error.message),
    );
  });

  it('compresses responses unless RESPONSE_COMPRESSION says otherwise, and names a wrong value', () => {
    const api = { JWT_PRIVATE_KEY, DATABASE_URL: 'postgres://localhost/atrium' };
    assert.equal(readApiConfig(api).settings.responseCompression, 'on');
    assert.equal(readApiConfig({ ...api, RESPONSE_COMPRESSION: 'assets' }).settings.responseCompression, 'assets');
    assert.equal(readApiConfig({ ...api, RESPONSE_COMPRESSION: 'off' }).settings.responseCompression, 'off');
    assert.throws(
      () => readApiConfig({ ...api, RESPONSE_COMPRESSION: 'gzip' }),
      (error: unknown) =>
        error instanceof ConfigError && /RESPONSE_COMPRESSION: must be one of on, assets, off/.test(error.message),
    );
  });
});
