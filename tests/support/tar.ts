// Reads a tar.gz archive (ustar, regular files) into a map of name → content, so tests can
// look inside the exports Atrium produces.
import { gunzipSync } from 'node:zlib';

export function readTarGz(archive: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(archive);
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
    const stored = parseInt(header.subarray(148, 156).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
    let sum = 0;
    for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    if (sum !== stored) throw new Error(`Bad tar header checksum for ${name}`);
    files.set(name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** The JSON lines of a file in the archive. */
export function jsonLinesOf(files: Map<string, Buffer>, name: string): any[] {
  const content = files.get(name);
  if (!content) throw new Error(`${name} is not in the archive (${[...files.keys()].join(', ')})`);
  return content
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}
