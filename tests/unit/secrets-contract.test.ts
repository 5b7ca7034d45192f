// The pure pieces of tenant secrets: the wire schemas' refusals, the portal form's mapping to
// the API body, and how a rotation policy's duration is written back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../api/routes/secrets.ts';
import { CreateSecretRequest, consumersFromText, secretBodyFromForm, SecretForm } from '../../contracts/secrets.ts';

describe('tenant secrets: schemas and form', () => {
  it('fills the defaults and turns the policy into milliseconds', () => {
    const parsed = CreateSecretRequest.parse({ name: 'DB_PASSWORD', kind: 'database-password', value: 'x' });
    assert.deepEqual(parsed, {
      name: 'DB_PASSWORD',
      kind: 'database-password',
      environment: 'production',
      description: '',
      value: 'x',
      consumers: [],
      rotationPolicy: null,
    });
    const withPolicy = CreateSecretRequest.parse({
      name: 'a',
      kind: 'generic',
      value: 'x',
      rotationPolicy: { every: '12h' },
    });
    assert.deepEqual(withPolicy.rotationPolicy, { every: 12 * 3_600_000 });
  });

  it('names each bad field', () => {
    const result = CreateSecretRequest.safeParse({
      name: '../x',
      kind: 'password',
      environment: 'Prod',
      value: '',
      consumers: ['web', 'web'],
      rotationPolicy: { every: 'weekly' },
    });
    assert.ok(!result.success);
    assert.deepEqual(result.error.issues.map((issue) => issue.path.join('.')).sort(), [
      'consumers',
      'environment',
      'kind',
      'name',
      'rotationPolicy.every',
      'value',
    ]);
  });

  it('maps the portal form to the API body', () => {
    const form = SecretForm.parse({
      name: 'SMTP_PASSWORD',
      kind: 'generic',
      environment: 'staging',
      value: 'v',
      consumers: ' deployment/web \r\n\njob/mail\n',
      rotation: '',
    });
    assert.deepEqual(secretBodyFromForm(form), {
      name: 'SMTP_PASSWORD',
      kind: 'generic',
      environment: 'staging',
      description: '',
      value: 'v',
      consumers: ['deployment/web', 'job/mail'],
      rotationPolicy: null,
    });
    assert.deepEqual(secretBodyFromForm({ ...form, rotation: '30d' }).rotationPolicy, { every: '30d' });
    assert.deepEqual(consumersFromText(''), []);
    assert.ok(!SecretForm.safeParse({ ...form, rotation: 'monthly' }).success);
  });

  it('writes a policy back in the largest exact unit', () => {
    assert.equal(formatDuration(30 * 86_400_000), '30d');
    assert.equal(formatDuration(36 * 3_600_000), '36h');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(1_500), '1500ms');
  });
});
