// A gzip-compressed tar archive (POSIX ustar) of in-memory files, from Node built-ins only:
// enough for a tenant's data export, which any `tar xzf` or archive tool opens.
import { gzipSync } from 'node:zlib';

export interface ArchiveFile {
  /** Path inside the archive, at most 100 bytes (no ustar prefix splitting). */
  name: string;
  content: string | Buffer;
}

const BLOCK = 512;

export function createTarGz(files: readonly ArchiveFile[], modified: Date): Buffer {
  const mtime = Math.floor(modified.getTime() / 1000);
  const parts: Buffer[] = [];
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    parts.push(header(file.name, content.length, mtime), content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  // Two zero blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}

function header(name: string, size: number, mtime: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100 || name.startsWith('/') || name.split('/').includes('..'))
    throw new Error(`Cannot put "${name}" into the archive: names are relative and at most 100 bytes.`);
  const block = Buffer.alloc(BLOCK);
  nameBytes.copy(block, 0);
  octal(block, 100, 8, 0o644); // mode
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  block.write('0', 156, 'ascii'); // regular file
  block.write('ustar\u000000', 257, 'ascii'); // magic "ustar\0" + version "00"
  block.write('atrium', 265, 'ascii'); // uname
  block.write('atrium', 297, 'ascii'); // gname
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`Cannot put ${value} into a tar header field of ${length} bytes.`);
  block.write(`${digits.padStart(length - 1, '0')}\u0000`, offset, 'ascii');
}
