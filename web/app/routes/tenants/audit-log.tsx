import {
  Alert,
  Anchor,
  Button,
  Code,
  EmptyState,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { data, Form, href, Link, redirect } from 'react-router';
import type { Route } from './+types/audit-log';
import type { AuditLogPage as AuditLogResult, Problem } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { ActorCell, ChangeCell, ShortId } from '../../components/audit-log/AuditCells.tsx';
import { apiTimeRange, pickerDay } from '../../components/audit-log/time-range.ts';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Audit log of ${params.slug} · Atrium` }];

/**
 * The filters live in the URL, so a filtered view can be shared and reloaded. `from` and
 * `to` are UTC days (YYYY-MM-DD, as the date pickers send them), both included; a full ISO
 * date-time (older links) is passed on as it is.
 */
const FILTERS = ['action', 'actor', 'targetType', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const url = new URL(request.url);
  const filters = Object.fromEntries(FILTERS.map((name) => [name, url.searchParams.get(name) ?? ''])) as Filters;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  // The trail holds the cursors of the pages before this one, so "Newer" can step back.
  const trail = (url.searchParams.get('trail') ?? '').split(',').filter(Boolean);
  const cursor = url.searchParams.get('cursor');
  const apiQuery = new URLSearchParams(query);
  for (const [name, value] of Object.entries(apiTimeRange(filters.from, filters.to))) apiQuery.set(name, value);
  if (cursor) apiQuery.set('cursor', cursor);
  apiQuery.set('limit', '50');
  const result = await callApi<AuditLogResult>(
    context,
    `/api/v1/tenants/${encodeURIComponent(params.slug)}/audit-log?${apiQuery}`,
    { signal: request.signal, token: accessToken },
  );
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    if (result.status === 404) throw data(null, { status: 404 });
    if (result.status === 403) return { slug: params.slug, filters, forbidden: true as const };
    // Bad filters come back as field errors shown on the form, with no entries.
    if (result.status === 422)
      return { slug: params.slug, filters, forbidden: false as const, items: [], problem: result.problem, links: null };
    throw data(result.problem, { status: result.status });
  }
  const page = (extra: Record<string, string>) => {
    const next = new URLSearchParams(query);
    for (const [name, value] of Object.entries(extra)) if (value) next.set(name, value);
    return `?${next}`;
  };
  const previousTrail = trail.slice(0, -1);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return {
    slug: params.slug,
    filters,
    forbidden: false as const,
    items: result.body.items,
    problem: null,
    links: {
      older: result.body.nextCursor
        ? page({ cursor: result.body.nextCursor, trail: [...trail, cursor ?? 'first'].join(',') })
        : null,
      newer: cursor
        ? page({ cursor: trail.at(-1) === 'first' ? '' : (trail.at(-1) ?? ''), trail: previousTrail.join(',') })
        : null,
      exportCsv: `${href('/tenants/:slug/audit-log/export', { slug: params.slug })}${page({ format: 'csv' })}`,
      exportJson: `${href('/tenants/:slug/audit-log/export', { slug: params.slug })}${page({ format: 'json' })}`,
    },
  };
}

export default function AuditLogPage({ loaderData }: Route.ComponentProps) {
  const { slug, filters } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="audit-log" />
      <div>
        <Title order={1}>Audit log</Title>
        <Text c="dimmed">Every change in {slug}, newest first. Entries are hash-chained and cannot be edited.</Text>
      </div>
      {loaderData.forbidden ? (
        <Alert color="gray" data-testid="audit-log-forbidden">
          Your role cannot read this tenant's audit log (owners and admins can).
        </Alert>
      ) : (
        <>
          <Paper withBorder p="md">
            <Form method="get" aria-label="Filter the audit log">
              <Group align="flex-end">
                <TextInput
                  name="action"
                  label="Action"
                  placeholder="member. or member.removed"
                  defaultValue={filters.action}
                  error={fieldError(loaderData.problem, 'action')}
                />
                <TextInput
                  name="actor"
                  label="Actor id"
                  description="Or pick an actor in the list"
                  defaultValue={filters.actor}
                  error={fieldError(loaderData.problem, 'actor')}
                />
                <TextInput name="targetType" label="Target type" defaultValue={filters.targetType} />
                {/* Keyed by the URL's value: a new filter from a link resets what the picker shows. */}
                <DatePickerInput
                  key={`from-${filters.from}`}
                  name="from"
                  label="From (UTC day)"
                  placeholder="Any day"
                  valueFormat="YYYY-MM-DD"
                  clearable
                  w={170}
                  defaultValue={pickerDay(filters.from)}
                  error={fieldError(loaderData.problem, 'from')}
                  data-testid="audit-log-from"
                />
                <DatePickerInput
                  key={`to-${filters.to}`}
                  name="to"
                  label="To (UTC day, included)"
                  placeholder="Any day"
                  valueFormat="YYYY-MM-DD"
                  clearable
                  w={170}
                  defaultValue={pickerDay(filters.to)}
                  error={fieldError(loaderData.problem, 'to')}
                  data-testid="audit-log-to"
                />
                <Button type="submit">Filter</Button>
                <Anchor component={Link} to={href('/tenants/:slug/audit-log', { slug })} size="sm">
                  Clear
                </Anchor>
              </Group>
            </Form>
          </Paper>
          <Paper withBorder p="md">
            {loaderData.items.length === 0 ? (
              <EmptyState
                data-testid="audit-log-empty"
                title="No entries"
                description="Nothing matches these filters."
              />
            ) : (
              <Table.ScrollContainer minWidth={900}>
                <Table verticalSpacing="xs" aria-label="Audit log" data-testid="audit-log-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>When</Table.Th>
                      <Table.Th>Action</Table.Th>
                      <Table.Th>Actor</Table.Th>
                      <Table.Th>Target</Table.Th>
                      <Table.Th>Change</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {loaderData.items.map((entry) => (
                      <Table.Tr key={entry.id} data-testid="audit-log-row">
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Timestamp value={entry.occurredAt} />
                        </Table.Td>
                        <Table.Td>
                          <Code style={{ whiteSpace: 'nowrap' }}>{entry.action}</Code>
                        </Table.Td>
                        <Table.Td>
                          <ActorCell
                            actor={entry.actor}
                            filterLink={filterLink(filters, { actor: entry.actor.id ?? '' })}
                          />
                        </Table.Td>
                        <Table.Td>
                          <Text size="sm">{entry.target.type}</Text>
                          {entry.target.id ? <ShortId id={entry.target.id} /> : null}
                        </Table.Td>
                        <Table.Td miw={260}>
                          <ChangeCell entry={entry} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {loaderData.links ? (
              <Group justify="space-between" mt="md">
                <Group gap="xs">
                  {loaderData.links.newer ? (
                    <Anchor component={Link} to={loaderData.links.newer} data-testid="audit-log-newer">
                      ← Newer
                    </Anchor>
                  ) : null}
                  {loaderData.links.older ? (
                    <Anchor component={Link} to={loaderData.links.older} data-testid="audit-log-older">
                      Older →
                    </Anchor>
                  ) : null}
                </Group>
                <Group gap="xs">
                  {/* Plain links (reloadDocument): the browser downloads the file. */}
                  <Anchor
                    component={Link}
                    reloadDocument
                    to={loaderData.links.exportCsv}
                    data-testid="audit-log-export-csv"
                  >
                    Export CSV
                  </Anchor>
                  <Anchor
                    component={Link}
                    reloadDocument
                    to={loaderData.links.exportJson}
                    data-testid="audit-log-export-json"
                  >
                    Export JSON
                  </Anchor>
                </Group>
              </Group>
            ) : null}
          </Paper>
        </>
      )}
    </Stack>
  );
}

function fieldError(problem: Pick<Problem, 'errors'> | null, field: string): string | undefined {
  return problem?.errors?.find((e) => e.path === field)?.message;
}

/** This page's URL with some filters changed (paging starts again). */
function filterLink(filters: Filters, change: Partial<Filters>): string {
  const next = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...filters, ...change })) if (value) next.set(name, value);
  return `?${next}`;
}
