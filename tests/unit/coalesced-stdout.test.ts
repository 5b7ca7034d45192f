// Log lines written in one turn of the event loop reach stdout in one write, in order
// (logging/coalesced-stdout.ts), and a process that exits does not lose the last lines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { coalescedStdout } from '../../logging/coalesced-stdout.ts';

function recordingOut(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { out, writes };
}

describe('coalesced stdout', () => {
  it('writes the lines of one turn together, in order, after the turn', async () => {
    const { out, writes } = recordingOut();
    const lines = coalescedStdout(out);
    lines.write('one\n');
    lines.write('two\n');
    lines.write(Buffer.from('three\n'));
    assert.deepEqual(writes, [], 'nothing is written during the turn');
    await nextTurn();
    assert.deepEqual(writes, ['one\ntwo\nthree\n']);
    lines.write('four\n');
    await nextTurn();
    assert.deepEqual(writes, ['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes at once when a turn has piled up 64 KiB', async () => {
    const { out, writes } = recordingOut();
    const lines = coalescedStdout(out);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 70; i++) lines.write(line);
    assert.equal(writes.length, 1, 'the first 64 lines went out during the turn');
    assert.equal(writes[0], line.repeat(64));
    await nextTurn();
    assert.deepEqual(writes.slice(1), [line.repeat(6)]);
  });

  it('writes what is waiting when the process exits', () => {
    const module = fileURLToPath(new URL('../../logging/coalesced-stdout.ts', import.meta.url));
    const script = `import { coalescedStdout } from ${JSON.stringify(module)};
      const lines = coalescedStdout();
      lines.write('last words\\n');
      process.exit(3);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 3, child.stderr);
    assert.equal(child.stdout, 'last words\n');
  });
});
