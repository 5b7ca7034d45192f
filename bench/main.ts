// `npm run bench`: runs the benchmarks, each in its own process (each starts and stops what
// it needs). With a name, only that one, with its options:
//   npm run bench                                   every benchmark, with its defaults
//   npm run bench -- provisioning --tenants 20      provisionTenant, N at once vs one at a time
//   npm run bench -- reads --connections 50         tenant-scoped API reads vs a bare endpoint
//   npm run bench -- starts --concurrency 16       operation starts: the API against the Temporal client
//   npm run bench -- first-load                     the portal's cold first load, compression on and off
//   npm run bench -- webhooks --events 100          webhook delivery against a bare loop POSTing the same bodies
//   npm run bench -- metering                       usage ingestion and reconciliation against bare SQL
//   npm run bench -- <name> --help                  a benchmark's options
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: Record<string, { file: string; about: string }> = {
  provisioning: { file: 'provisioning.ts', about: 'provisionTenant, N tenants at once against one at a time' },
  reads: { file: 'tenant-reads.ts', about: 'tenant-scoped API reads against a bare express + pg endpoint' },
  starts: { file: 'operation-starts.ts', about: 'operation starts through the API against the Temporal client alone' },
  'first-load': { file: 'first-load.ts', about: "the portal's first load in Chromium, compression on and off" },
  webhooks: { file: 'webhook-delivery.ts', about: 'webhook delivery, outbox to receiver, against a bare POST loop' },
  metering: { file: 'metering.ts', about: 'usage ingestion against a bare insert; reconciliation against a bare GROUP BY' },
};

const [name, ...rest] = process.argv.slice(2);
if (name === '--help' || name === '-h' || (name !== undefined && !(name in BENCHMARKS))) {
  if (name !== '--help' && name !== '-h') console.error(`npm run bench: no benchmark "${name}".`);
  console.log('usage: npm run bench [-- <name> [options]]\n');
  for (const [key, { about }] of Object.entries(BENCHMARKS)) console.log(`  ${key.padEnd(14)} ${about}`);
  process.exit(name === '--help' || name === '-h' ? 0 : 2);
}

const selected = name ? [name] : Object.keys(BENCHMARKS);
let failed = false;
for (const key of selected) {
  const file = fileURLToPath(new URL(BENCHMARKS[key]!.file, import.meta.url));
  const result = spawnSync(process.execPath, [file, ...(name ? rest : [])], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`npm run bench: ${key} failed (exit ${result.status ?? result.signal})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
