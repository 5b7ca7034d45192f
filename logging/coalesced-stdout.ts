// Log lines to stdout, written together: the lines of one turn of the event loop go out in one
// write. Under load the API logs a line per request, and on this kind of machine each write to
// a pipe or file costs more CPU than formatting the line (issue 12); one write per turn keeps
// the lines in order and costs a request nearly nothing. Lines wait at most until the loop's
// check phase (setImmediate), and the rest is written when the process exits, also on
// process.exit() (stdout is synchronous for pipes and files on Linux).
import { Writable } from 'node:stream';

/** Flush early when this much is waiting, so one busy turn cannot hold a large buffer. */
const MAX_PENDING_BYTES = 64 * 1024;

export function coalescedStdout(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending: string[] = [];
  let pendingBytes = 0;
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    out.write(text);
  };
  process.on('exit', flush);

  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const line = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= MAX_PENDING_BYTES) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      callback();
    },
    final(callback) {
      flush();
      callback();
    },
  });
}
