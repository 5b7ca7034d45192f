import { Badge, Box, Button, Code, CopyButton, EmptyState, Group, Paper, Stack, Table, Text } from '@mantine/core';
import type { Release } from '../../../contracts/releases.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { shortImage } from './promotion-text.ts';

/** An image by digest, the digest shortened (the whole reference on hover), with a Copy button. */
export function ImageRef({ image }: { image: string }) {
  const { short } = shortImage(image);
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <Code
        title={image}
        data-testid="release-image"
        data-image={image}
        style={{ overflowWrap: 'anywhere', minWidth: 0, flex: '0 1 auto' }}
      >
        {short}
      </Code>
      <CopyButton value={image}>
        {({ copied, copy }) => (
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={copy}
            aria-label={`Copy ${image}`}
            style={{ flexShrink: 0 }}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** Where each release runs now ("production", "staging"). */
export type RunningWhere = Record<number, string[]>;

function RunsIn({ environments }: { environments: string[] | undefined }) {
  if (!environments?.length) return null;
  return (
    <Group gap={4}>
      {environments.map((environment) => (
        <Badge key={environment} size="sm" variant="light" color="green" tt="none">
          runs in {environment}
        </Badge>
      ))}
    </Group>
  );
}

function Notes({ notes }: { notes: string }) {
  if (!notes.trim())
    return (
      <Text size="sm" c="dimmed">
        No notes
      </Text>
    );
  return (
    <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} lineClamp={4} title={notes}>
      {notes}
    </Text>
  );
}

function CreatedBy({ release, people }: { release: Release; people: Record<string, string> }) {
  // No names at all: the caller may not list members.
  const unknown = Object.keys(people).length === 0 ? 'a member' : 'someone no longer a member';
  const who = release.createdBy === null ? 'an API key' : (people[release.createdBy] ?? unknown);
  return (
    <Stack gap={0}>
      <Text size="sm">{who}</Text>
      <Timestamp value={release.createdAt} size="xs" c="dimmed" />
    </Stack>
  );
}

/**
 * The tenant's releases, newest first: a table from the `md` breakpoint up, a card each on a
 * phone. `promote` (when given) renders each release's Promote button.
 */
export function ReleasesList({
  releases,
  people,
  running,
  onPromote,
}: {
  releases: Release[];
  people: Record<string, string>;
  running: RunningWhere;
  onPromote: ((release: Release) => void) | null;
}) {
  if (releases.length === 0)
    return (
      <EmptyState
        data-testid="releases-empty"
        title="No releases yet"
        description="A release names an image by digest, so what is approved is what runs. Create the first one below, then promote it into an environment."
      />
    );
  const promote = (release: Release) =>
    onPromote ? (
      <Button
        size="xs"
        variant="light"
        onClick={() => onPromote(release)}
        aria-label={`Promote release ${release.number}`}
      >
        Promote
      </Button>
    ) : null;
  return (
    <>
      <Box visibleFrom="md">
        <Table.ScrollContainer minWidth={860}>
          <Table verticalSpacing="sm" aria-label="Releases" data-testid="releases-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>Image</Table.Th>
                <Table.Th>Notes</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {releases.map((release) => (
                <Table.Tr key={release.number} data-testid="release-row" data-release={release.number}>
                  <Table.Td>
                    <Text fw={600}>{release.number}</Text>
                  </Table.Td>
                  <Table.Td maw={380}>
                    <Stack gap={4}>
                      <ImageRef image={release.image} />
                      {release.configurationVersion ? (
                        <Text size="xs" c="dimmed">
                          Configuration {release.configurationVersion}
                        </Text>
                      ) : null}
                      <RunsIn environments={running[release.number]} />
                    </Stack>
                  </Table.Td>
                  <Table.Td maw={320}>
                    <Notes notes={release.notes} />
                  </Table.Td>
                  <Table.Td>
                    <CreatedBy release={release} people={people} />
                  </Table.Td>
                  <Table.Td>{promote(release)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Box>
      <Stack hiddenFrom="md" gap="sm" data-testid="releases-cards">
        {releases.map((release) => (
          <Paper key={release.number} withBorder p="sm" data-testid="release-card" data-release={release.number}>
            <Stack gap={6}>
              <Group justify="space-between" wrap="nowrap">
                <Text fw={600}>Release {release.number}</Text>
                {promote(release)}
              </Group>
              <ImageRef image={release.image} />
              {release.configurationVersion ? (
                <Text size="xs" c="dimmed">
                  Configuration {release.configurationVersion}
                </Text>
              ) : null}
              <RunsIn environments={running[release.number]} />
              <Notes notes={release.notes} />
              <CreatedBy release={release} people={people} />
            </Stack>
          </Paper>
        ))}
      </Stack>
    </>
  );
}
