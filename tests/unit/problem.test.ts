// Validation failures become field errors a client can show next to each input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ProblemError } from '../../api/http/problem.ts';
import { toFieldErrors } from '../../api/http/validate.ts';
import { tenantSchemaName } from '../../activities/shared/tenant-schema-name.ts';
import { quoteIdentifier } from '../../db/identifiers.ts';

describe('problem details', () => {
  it('names nested, missing and unknown fields by path', () => {
    const schema = z.strictObject({ owner: z.strictObject({ email: z.email() }), name: z.string() });
    const result = schema.safeParse({ owner: { email: 'x', extra: 1 }, surprise: true });
    assert.ok(!result.success);
    assert.deepEqual(
      toFieldErrors(result.error)
        .map((e) => e.path)
        .sort(),
      ['name', 'owner.email', 'owner.extra', 'surprise'],
    );
  });

  it('renders an RFC 9457 body with a stable type', () => {
    const problem = new ProblemError('validation', 'Some fields are invalid', {
      errors: [{ path: 'slug', message: 'bad' }],
    });
    assert.equal(problem.status, 422);
    assert.deepEqual(problem.toBody('/api/v1/tenants', 'req-1'), {
      type: 'urn:atrium:problem:validation-failed',
      title: 'The request has invalid fields',
      status: 422,
      detail: 'Some fields are invalid',
      instance: '/api/v1/tenants',
      errors: [{ path: 'slug', message: 'bad' }],
      requestId: 'req-1',
    });
  });
});

describe('tenant schema names', () => {
  it('maps a slug to a safe, quoted identifier', () => {
    assert.equal(tenantSchemaName('acme-corp-2'), 'tenant_acme_corp_2');
    assert.equal(quoteIdentifier('we"ird'), '"we""ird"');
  });
});
