// The cells of the audit log table that need more than a line of text: who acted, a
// shortened id, and the change (summed up, expandable to the whole before and after).
import { Anchor, Code, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { AuditEntry } from '../../../../contracts/index.ts';

export const ACTOR_TYPES: Record<string, string> = {
  user: 'user',
  api_key: 'API key',
  system: 'Atrium',
  anonymous: 'anonymous',
};

/**
 * Who did it: a user's name and email, an API key's name; the id on hover (the title), and
 * the name filters the log by this actor. An actor whose account or key is gone shows its
 * kind and a short id.
 */
export function ActorCell({ actor, filterLink }: { actor: AuditEntry['actor']; filterLink: string }) {
  const kind = ACTOR_TYPES[actor.type] ?? actor.type;
  if (!actor.id) return <Text size="sm">{kind}</Text>;
  const name = actor.displayName ?? `${kind} ${actor.id.slice(0, 8)}…`;
  return (
    <div data-testid="audit-log-actor" data-actor-id={actor.id}>
      <Anchor
        component={Link}
        to={filterLink}
        size="sm"
        fw={500}
        title={`${kind} id ${actor.id} (show only this actor's entries)`}
        style={{ whiteSpace: 'nowrap' }}
      >
        {name}
      </Anchor>
      <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {actor.email ?? (actor.type === 'user' ? '' : kind)}
      </Text>
    </div>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id: a uuid shortened to its first characters (whole on hover), anything else as it is. */
export function ShortId({ id }: { id: string }) {
  if (!UUID.test(id))
    return (
      <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
        {id}
      </Text>
    );
  return (
    <Text size="xs" c="dimmed" ff="monospace" title={id} style={{ whiteSpace: 'nowrap' }}>
      {id.slice(0, 8)}…
    </Text>
  );
}

/** Summary lines of a change: what differs between before and after, else what was set. */
export function changeLines(entry: Pick<AuditEntry, 'before' | 'after'>): string[] {
  const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));
  const { before, after } = entry;
  if (before && after) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys
      .filter((key) => show(before[key]) !== show(after[key]))
      .map((key) => `${key}: ${show(before[key])} → ${show(after[key])}`);
  }
  const only = after ?? before;
  if (!only) return [];
  const lines = Object.entries(only).map(([key, value]) => `${key}: ${show(value)}`);
  return after ? lines : lines.map((line) => `removed ${line}`);
}

/** Lines of the summary shown before "Show all". */
const SUMMARY_LINES = 2;
/** Characters of a summary line shown before "Show all". */
const SUMMARY_CHARS = 90;

/** The change in a line or two; long ones open to the whole before and after. */
export function ChangeCell({ entry }: { entry: AuditEntry }) {
  const [open, setOpen] = useState(false);
  const lines = changeLines(entry);
  if (lines.length === 0)
    return (
      <Text size="xs" c="dimmed">
        —
      </Text>
    );
  const long = lines.length > SUMMARY_LINES || lines.some((line) => line.length > SUMMARY_CHARS);
  const shown = open || !long ? lines : lines.slice(0, SUMMARY_LINES);
  return (
    <Stack gap={2} data-testid="audit-log-change">
      {open ? (
        <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-testid="audit-log-change-full">
          {JSON.stringify({ before: entry.before, after: entry.after }, null, 2)}
        </Code>
      ) : (
        shown.map((line, index) => (
          <Text
            key={index}
            size="xs"
            ff="monospace"
            lineClamp={long ? 1 : undefined}
            style={long ? { wordBreak: 'break-all' } : { overflowWrap: 'anywhere' }}
          >
            {line}
          </Text>
        ))
      )}
      {long ? (
        <Anchor
          component="button"
          type="button"
          size="xs"
          ta="left"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
          data-testid="audit-log-change-toggle"
        >
          {open ? 'Show less' : `Show all${lines.length > SUMMARY_LINES ? ` (${lines.length} fields)` : ''}`}
        </Anchor>
      ) : null}
    </Stack>
  );
}
