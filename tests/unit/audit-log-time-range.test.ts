// The audit log page's date pickers put UTC days in the URL; the API wants a range of
// date-times. Pure translation, no I/O (web/app/components/audit-log/time-range.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiQueryOf, apiTimeRange, pickerDay } from '../../web/app/components/audit-log/time-range.ts';

describe('audit log time range', () => {
  it('turns picked days into a range that includes both days', () => {
    assert.deepEqual(apiTimeRange('2026-11-01', '2026-11-30'), {
      from: '2026-11-01T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
    });
    assert.deepEqual(apiTimeRange('2028-02-28', '2028-02-28'), {
      from: '2028-02-28T00:00:00Z',
      to: '2028-02-29T00:00:00Z',
    });
    assert.deepEqual(apiTimeRange('', '2026-12-31'), { to: '2027-01-01T00:00:00Z' });
    assert.deepEqual(apiTimeRange('', ''), {});
  });

  it('passes anything else on unchanged, for the API to accept (a date-time) or name', () => {
    assert.deepEqual(apiTimeRange('2026-11-01T12:00:00Z', 'last-tuesday'), {
      from: '2026-11-01T12:00:00Z',
      to: 'last-tuesday',
    });
    assert.deepEqual(apiTimeRange('2026-02-31', '2026-02-31'), { from: '2026-02-31', to: '2026-02-31' });
  });

  it('starts a picker on the URL day, or on nothing', () => {
    assert.equal(pickerDay('2026-11-01'), '2026-11-01');
    assert.equal(pickerDay('2026-11-01T12:00:00Z'), '2026-11-01');
    assert.equal(pickerDay('2026-02-31'), null);
    assert.equal(pickerDay('last-tuesday'), null);
    assert.equal(pickerDay(''), null);
  });

  it('rewrites only the range of a query string', () => {
    const query = apiQueryOf(new URLSearchParams('action=member.&from=2026-11-01&to=2026-11-01&format=csv'));
    assert.equal(
      query.toString(),
      'action=member.&format=csv&from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z',
    );
  });
});
