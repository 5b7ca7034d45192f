// The README's quick start against the code it describes: the Node.js version package.json
// asks for, the banner scripts/start.ts prints, and the embedded database's name, user and port.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_DATABASE, EMBEDDED_USER } from '../../db/embedded-postgres.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const start = readFileSync(`${ROOT}scripts/start.ts`, 'utf8');

/** The labels of a banner's lines (`    Temporal gRPC  …`: four spaces, the label in 15 columns). */
const bannerLabels = (text: string): string[] =>
  [...text.matchAll(/^ {4}([A-Z][A-Za-z ]{13}) \S/gm)].map((match) => (match[1] as string).trim());

describe('README', () => {
  it('names the Node.js version package.json asks for, and says the EBADENGINE warnings are expected', () => {
    const engines = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } }).engines;
    const minimum = /^>=(\d+\.\d+)\.0$/.exec(engines.node)?.[1];
    assert.ok(minimum, `engines.node is ">=x.y.0": ${engines.node}`);
    assert.ok(readme.includes(`Node.js ≥ ${minimum}`), `the README says Node.js ≥ ${minimum}`);
    assert.match(readme, /EBADENGINE/);
  });

  it('shows the banner npm start prints, line for line, and what a restart prints', () => {
    const printed = bannerLabels(start.slice(start.indexOf('Atrium is running.'), start.indexOf('Press Ctrl-C')));
    assert.ok(printed.includes('Temporal gRPC'), `start.ts's banner labels: ${printed.join(', ')}`);
    const sample = readme.slice(readme.indexOf('  Atrium is running.'), readme.indexOf('  Press Ctrl-C to stop.'));
    assert.ok(sample.length > 0, 'the README has the banner, through "Press Ctrl-C to stop."');
    assert.deepEqual(bannerLabels(sample), printed);
    assert.ok(start.includes(' (existing account)') && readme.includes('(existing account)'));
  });

  it('names the embedded database and how to connect to it with psql', () => {
    const port = /EMBEDDED_POSTGRES_PORT: port\.default\((\d+)\)/.exec(start)?.[1];
    assert.ok(port, 'start.ts has a default EMBEDDED_POSTGRES_PORT');
    const psql = readme.split('\n').find((line) => line.includes('psql '));
    assert.ok(psql, 'the README has a psql command');
    for (const part of [`-p ${port}`, `-U ${EMBEDDED_USER}`, ` ${EMBEDDED_DATABASE}`, '.data/postgres-password'])
      assert.ok(psql.includes(part), `the psql command has "${part}": ${psql}`);
    assert.ok(readme.includes(`\`${EMBEDDED_DATABASE}\``), 'the README names the database');
  });
});
