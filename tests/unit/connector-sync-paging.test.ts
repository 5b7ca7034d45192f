// The sync activity's pure parts: how long a 429 asks to wait, where a page's records are and
// where the next page is (Link header, `next`, `next_cursor`), and that a record without an id
// or a next page off the provider's API is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextPage, recordsOf, retryAfterMs } from '../../activities/connectors/sync.ts';

const url = new URL('https://api.example.test/v1/contacts?limit=2');

describe('sync paging', () => {
  it('reads Retry-After in seconds or as an HTTP date, with a default when absent', () => {
    assert.equal(retryAfterMs('3'), 3_000);
    const now = Date.parse('2026-12-03T00:00:00Z');
    assert.equal(retryAfterMs('Thu, 03 Dec 2026 00:00:10 GMT', now), 10_000);
    assert.equal(retryAfterMs('Thu, 03 Dec 2026 00:00:00 GMT', now + 5_000), 0);
    assert.equal(retryAfterMs(null), 5_000);
    assert.equal(retryAfterMs('soon'), 5_000);
  });

  it('finds the records in an array body or under items, data, records or results; the last of one id wins', () => {
    assert.deepEqual(
      recordsOf([{ id: 1 }, { id: 'b' }], url).map((r) => r.id),
      ['1', 'b'],
    );
    for (const key of ['items', 'data', 'records', 'results'])
      assert.equal(recordsOf({ [key]: [{ id: 'x' }] }, url)[0]!.id, 'x');
    const twice = recordsOf(
      {
        items: [
          { id: 'a', v: 1 },
          { id: 'a', v: 2 },
        ],
      },
      url,
    );
    assert.equal(twice.length, 1);
    assert.deepEqual(twice[0]!.data, { id: 'a', v: 2 });
    // The same record with its keys in another order hashes the same.
    assert.equal(
      recordsOf([{ id: 'a', b: 1, c: 2 }], url)[0]!.hash,
      recordsOf([{ c: 2, b: 1, id: 'a' }], url)[0]!.hash,
    );
  });

  it('refuses a page without a list, and a record without an id', () => {
    assert.throws(() => recordsOf({ total: 3 }, url), /holds no list of records/);
    assert.throws(() => recordsOf({ items: [{ name: 'no id' }] }, url), /has no `id`/);
  });

  it('finds the next page in a Link header, a next URL or a next_cursor', () => {
    assert.equal(
      nextPage({}, '<https://api.example.test/v1/contacts?page=2>; rel="next", <…>; rel="last"', url),
      'https://api.example.test/v1/contacts?page=2',
    );
    assert.equal(nextPage({ next: '/v1/contacts?after=9' }, null, url), 'https://api.example.test/v1/contacts?after=9');
    assert.equal(
      nextPage({ next_cursor: 'abc' }, null, url),
      'https://api.example.test/v1/contacts?limit=2&cursor=abc',
    );
    assert.equal(nextPage({ nextCursor: 'xyz' }, null, url), 'https://api.example.test/v1/contacts?limit=2&cursor=xyz');
    assert.equal(nextPage({ next_cursor: null }, null, url), null);
    assert.equal(nextPage([], null, url), null);
  });
});
