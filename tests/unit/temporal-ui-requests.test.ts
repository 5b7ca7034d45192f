// The operator-read allowlist of the Temporal UI proxy (api/ops/temporal-ui-requests.ts): which
// requests are reads, how each write is named, and the paths refused before anything is decided.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTemporalUiRequest, InvalidTemporalUiPathError } from '../../api/ops/temporal-ui-requests.ts';

const ns = '/api/v1/namespaces/default';
const wf = `${ns}/workflows/tenant-provision%2Facme`;

describe('Temporal UI requests', () => {
  it('counts GET and HEAD, and workflow queries, as reads', () => {
    for (const [method, path, operation] of [
      ['GET', '/', 'view'],
      ['GET', '/_app/immutable/entry/start.js', 'view'],
      ['GET', '/namespaces/default/workflows', 'view'],
      ['GET', '/api/v1/settings', 'read.settings'],
      ['GET', `${ns}/workflows`, 'read.workflows'],
      ['HEAD', `${wf}/history`, 'read.workflows'],
      ['GET', `${ns}/schedules`, 'read.schedules'],
      ['POST', `${wf}/query/getProgress`, 'workflow.query'],
    ] as const) {
      const result = classifyTemporalUiRequest(method, path);
      assert.equal(result.access, 'read', `${method} ${path}`);
      assert.equal(result.operation, operation, `${method} ${path}`);
    }
  });

  it('names every write, and decodes the workflow it is about', () => {
    for (const [method, path, operation] of [
      ['POST', `${wf}/terminate`, 'workflow.terminate'],
      ['POST', `${wf}/cancel`, 'workflow.cancel'],
      ['POST', `${wf}/signal/approve`, 'workflow.signal'],
      ['POST', `${wf}/update/decide`, 'workflow.update'],
      ['POST', `${wf}/reset`, 'workflow.reset'],
      ['POST', wf, 'workflow.start'],
      ['POST', `${wf}/signal-with-start/approve`, 'workflow.signal_with_start'],
      ['POST', `${ns}/batch-operations/job-1`, 'batch.start'],
      ['POST', `${ns}/batch-operations/job-1/stop`, 'batch.stop'],
      ['POST', `${ns}/schedules/nightly`, 'schedule.create'],
      ['POST', `${ns}/schedules/nightly/update`, 'schedule.update'],
      ['POST', `${ns}/schedules/nightly/patch`, 'schedule.patch'],
      ['DELETE', `${ns}/schedules/nightly`, 'schedule.delete'],
      ['POST', `${ns}/activities/pause`, 'activity.pause'],
      ['POST', `${ns}/update`, 'namespace.update'],
      ['PUT', '/api/v1/anything-new', 'anything-new.put'],
      // A query with more after it is not the query route: a write, refused to operator-read.
      ['POST', `${wf}/query/getProgress/extra`, 'workflow.query'],
    ] as const) {
      const result = classifyTemporalUiRequest(method, path);
      assert.equal(result.access, 'write', `${method} ${path}`);
      assert.equal(result.operation, operation, `${method} ${path}`);
    }
    assert.equal(classifyTemporalUiRequest('POST', `${wf}/terminate`).workflowId, 'tenant-provision/acme');
    assert.equal(classifyTemporalUiRequest('DELETE', `${ns}/schedules/nightly`).scheduleId, 'nightly');
  });

  it('refuses dot, empty and badly encoded segments, so no path can pass as another', () => {
    for (const path of [
      `${wf}/query/q/../../terminate`,
      `${wf}/query/q/%2e%2e/%2E%2E/terminate`,
      `${ns}//workflows`,
      `${wf}/%E0%A4%A`,
      `${wf}/query/a%5C..`,
    ])
      assert.throws(() => classifyTemporalUiRequest('POST', path), InvalidTemporalUiPathError, path);
  });
});
