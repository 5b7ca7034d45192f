// Percentiles and the Markdown tables every benchmark prints.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A Markdown table; the first `textColumns` columns are left-aligned, the rest right-aligned. */
export function table(rows: string[][], textColumns = 1): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    `| ${widths.map((width, column) => (column < textColumns ? (row[column] ?? '').padEnd(width) : (row[column] ?? '').padStart(width))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (column < textColumns ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** `×0.62`: a figure over its baseline. */
export function ratio(value: number, base: number): string {
  return `×${(value / base).toFixed(2)}`;
}

/** The machine, for the first line of a report (figures compare only within one run). */
export function machineLine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
}

/** Writes a run's figures to bench/results/<benchmark>-<time>.json (not committed) and says where. */
export function writeResults(benchmark: string, settings: Record<string, unknown>, results: unknown): void {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${benchmark}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const record = { benchmark, machine: machineLine(), settings, results };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
}
