// The migration list (db/migrations/index.ts) against the folder: every file is registered
// once, in timestamp order, under the class name its file name gives. TypeORM runs them in
// list order, so a migration added out of order would run before one it depends on.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { migrations } from '../../db/migrations/index.ts';

const FILES = readdirSync(new URL('../../db/migrations/', import.meta.url)).filter((file) =>
  /^\d+-\w+\.ts$/.test(file),
);

describe('migration list', () => {
  it('registers every migration file exactly once', () => {
    const expected = FILES.map((file) => {
      const [, timestamp, name] = /^(\d+)-(\w+)\.ts$/.exec(file)!;
      return `${name}${timestamp}`;
    }).sort();
    assert.deepEqual(migrations.map((migration) => migration.name).sort(), expected);
  });

  it('is in timestamp order, each timestamp once', () => {
    const timestamps = migrations.map((migration) => Number(/(\d{13})$/.exec(migration.name)?.[1]));
    for (const timestamp of timestamps) assert.ok(Number.isFinite(timestamp), `${timestamp}`);
    const sorted = [...timestamps].sort((a, b) => a - b);
    assert.deepEqual(timestamps, sorted, 'db/migrations/index.ts lists migrations out of timestamp order');
    assert.equal(new Set(timestamps).size, timestamps.length, 'two migrations share a timestamp');
  });
});
