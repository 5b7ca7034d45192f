// Usage quantities are numeric(24, 6) in PostgreSQL: here they are counted in millionths
// (bigint), so totals and differences are exact, and written back as trimmed decimals.

/** `"12.500000"` → 12500000n. */
export function micros(value: string): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace(/^[-+]/, '').split('.');
  const result = BigInt(whole || '0') * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
  return negative ? -result : result;
}

/** 12500000n → `"12.5"`; 3000000n → `"3"`. */
export function formatMicros(value: bigint): string {
  const negative = value < 0n;
  const absolute = negative ? -value : value;
  const whole = absolute / 1_000_000n;
  const fraction = (absolute % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
