import { Text } from '@mantine/core';
import type { TextProps } from '@mantine/core';

/**
 * Formats an ISO timestamp as "2025-11-22 01:36:12 UTC". Always UTC and never via Intl,
 * so the server and the browser render the same text and hydration never mismatches.
 */
export function formatTimestamp(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDuration(fromIso: string, toIso: string): string {
  const ms = Math.max(0, new Date(toIso).getTime() - new Date(fromIso).getTime());
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function Timestamp({ value, ...props }: { value: string } & TextProps) {
  return (
    <Text component="time" dateTime={value} size="sm" {...props}>
      {formatTimestamp(value)}
    </Text>
  );
}
