// The worker as the container image runs it: from the workflow bundles `npm run build:workflows`
// wrote (WORKER_WORKFLOW_BUNDLE_DIR), bundling nothing at start. A tenant provisioned on it
// completes, and its worker says which bundle it loaded; the tracing one is only for tracing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findPrebuiltBundle, writePrebuiltBundles } from '../../worker/workflow-bundle.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('a worker started from prebuilt workflow bundles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-bundles-'));
  let platform: Platform;

  before(async () => {
    await writePrebuiltBundles(dir);
    platform = await startPlatform({ workerEnv: { WORKER_WORKFLOW_BUNDLE_DIR: dir } });
  });
  after(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one bundle of every workflow, and one with the tracing interceptors', () => {
    const plain = readFileSync(findPrebuiltBundle(dir, { tracing: false }).codePath, 'utf8');
    const traced = readFileSync(findPrebuiltBundle(dir, { tracing: true }).codePath, 'utf8');
    for (const { workflowType } of Object.values(OPERATION_CATALOGUE)) {
      assert.ok(plain.includes(workflowType), `${workflowType} is in the bundle`);
      assert.ok(traced.includes(workflowType), `${workflowType} is in the tracing bundle`);
    }
    assert.ok(traced.includes('OpenTelemetryInboundInterceptor') && !plain.includes('OpenTelemetryInboundInterceptor'));
    assert.throws(
      () => findPrebuiltBundle(join(dir, 'missing'), { tracing: false }),
      /^Error: WORKER_WORKFLOW_BUNDLE_DIR: .*missing/,
    );
  });

  it('provisions a tenant on a worker that loaded the prebuilt bundle', async () => {
    assert.ok(
      platform.worker.output().includes(`"workflowBundle":"${join(dir, 'workflows.js')}"`),
      'the worker logs the bundle it loaded',
    );
    const slug = uniqueSlug('bundle');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Bundle Co', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const operation = await waitForOperation(platform, created.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
  });
});
