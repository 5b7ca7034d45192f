// How the portal says a promotion's approval, durations and images
// (web/app/promotions/promotion-text.ts): pure, no I/O.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROMOTION_STATUSES } from '../../contracts/promotions.ts';
import {
  approversText,
  durationText,
  isOpenPromotion,
  PROMOTION_STATUS_LABELS,
  shortImage,
  stageText,
} from '../../web/app/promotions/promotion-text.ts';

const HOUR = 3_600_000;

describe('promotion text', () => {
  it('says durations as people do', () => {
    assert.equal(durationText(30_000), '30 seconds');
    assert.equal(durationText(60_000), '1 minute');
    assert.equal(durationText(90 * 60_000), '90 minutes');
    assert.equal(durationText(150 * 60_000), '2 hours 30 minutes');
    assert.equal(durationText(2 * HOUR), '2 hours');
    assert.equal(durationText(24 * HOUR), '1 day');
    assert.equal(durationText(26 * HOUR), '1 day 2 hours');
    assert.equal(durationText(72 * HOUR), '3 days');
  });

  it('names who approves, counting the roles above the one asked for', () => {
    assert.equal(approversText({ kind: 'role', role: 'admin', count: 1 }), '1 admin (or owners)');
    assert.equal(approversText({ kind: 'role', role: 'owner', count: 2 }), '2 owners');
    assert.equal(approversText({ kind: 'role', role: 'platform-admin', count: 1 }), '1 Atrium platform admin');
    assert.equal(
      approversText({ kind: 'group', group: 'release-managers', count: 2 }),
      '2 members of the group “release-managers”',
    );
  });

  it('says what an expiry does: the next stage takes over, the last one rejects', () => {
    const first = {
      name: 'admins',
      approvers: { kind: 'role', role: 'admin', count: 1 } as const,
      expiresAfterMs: HOUR,
    };
    const last = {
      name: 'owners',
      approvers: { kind: 'role', role: 'owner', count: 1 } as const,
      expiresAfterMs: 24 * HOUR,
      hours: { fromHour: 8, toHour: 18 },
    };
    assert.equal(
      stageText(first, last),
      '1 admin (or owners) must approve; if not approved within 1 hour, it escalates to “owners”.',
    );
    assert.equal(
      stageText(last, undefined),
      '1 owner must approve, deciding between 8:00 and 18:00 UTC; if not approved within 1 day, the promotion is rejected.',
    );
  });

  it('shortens a digest to 12 digits and keeps a reference without one whole', () => {
    const image = `registry.test:5000/shop/web:1.2@sha256:${'ab'.repeat(32)}`;
    assert.deepEqual(shortImage(image), {
      name: 'registry.test:5000/shop/web:1.2',
      digest: `sha256:${'ab'.repeat(32)}`,
      short: 'registry.test:5000/shop/web:1.2@sha256:abababababab…',
    });
    assert.equal(shortImage('shop/web:1.2').short, 'shop/web:1.2');
  });

  it('labels every status and knows which are still under way', () => {
    assert.deepEqual(Object.keys(PROMOTION_STATUS_LABELS).sort(), [...PROMOTION_STATUSES].sort());
    assert.deepEqual(
      PROMOTION_STATUSES.filter((status) => isOpenPromotion(status)),
      ['requested', 'awaiting-approval', 'held', 'deploying'],
    );
  });
});
