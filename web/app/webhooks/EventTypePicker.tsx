import { Checkbox, Fieldset, SimpleGrid, Stack, Text } from '@mantine/core';
import type { EventTypeGroup } from './endpoint-form.ts';

/** The event types to subscribe to, one checkbox each, grouped by what they are about. */
export function EventTypePicker({
  groups,
  selected,
  error,
  disabled = false,
}: {
  groups: EventTypeGroup[];
  selected: readonly string[];
  error: string | undefined;
  disabled?: boolean;
}) {
  return (
    <Stack gap={6} role="group" aria-label="Event types" data-testid="event-type-picker">
      <Text size="sm" fw={500}>
        Event types
      </Text>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
        {groups.map((group) => (
          <Fieldset key={group.label} legend={group.label} p="sm" variant="filled">
            <Stack gap={8}>
              {group.types.map(({ type, description }) => (
                <Checkbox
                  key={type}
                  name="eventTypes"
                  value={type}
                  label={type}
                  description={description}
                  defaultChecked={selected.includes(type)}
                  disabled={disabled}
                  styles={{ label: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                />
              ))}
            </Stack>
          </Fieldset>
        ))}
      </SimpleGrid>
      {error ? (
        <Text c="red" size="sm" data-testid="event-types-error">
          {error}
        </Text>
      ) : null}
    </Stack>
  );
}
