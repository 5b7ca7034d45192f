import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

/**
 * What a tenant will have beyond its members: each area a feature family adds. A family that
 * lands gives its entry a page (`to`, under /tenants/:slug/…) and, if it likes, a one-line
 * summary from the overview's loader; until then the card says it is coming.
 */
export interface TenantArea {
  key: string;
  title: string;
  description: string;
  /** The area's page for this tenant; null while the feature is not built. */
  to: ((slug: string) => string) | null;
}

export const TENANT_AREAS: readonly TenantArea[] = [
  {
    key: 'connections',
    title: 'Connections',
    description: 'SaaS accounts connected through OAuth, their syncs and their health.',
    to: null,
  },
  {
    key: 'secrets',
    title: 'Secrets',
    description: "The tenant's secrets, their versions and rotation policies.",
    to: null,
  },
  {
    key: 'environments',
    title: 'Environments',
    description: 'Namespaces per environment, releases and their promotions.',
    to: (slug) => `/tenants/${encodeURIComponent(slug)}/releases`,
  },
  {
    key: 'usage',
    title: 'Usage',
    description: 'Metered usage against the plan, and invoices.',
    to: null,
  },
];

/** The overview's cards for the tenant's areas (TENANT_AREAS). */
export function TenantAreas({ slug, areas = TENANT_AREAS }: { slug: string; areas?: readonly TenantArea[] }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="tenant-areas-title">
      <Title order={2} size="h4" id="tenant-areas-title" mb="sm">
        Connections, secrets, environments and usage
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="md">
        {areas.map((area) => (
          <Paper key={area.key} withBorder p="sm" radius="md" data-testid="tenant-area" data-area={area.key}>
            <Stack gap={4}>
              <Group justify="space-between" wrap="nowrap" gap="xs">
                {area.to ? (
                  <Anchor component={Link} to={area.to(slug)} fw={600}>
                    {area.title}
                  </Anchor>
                ) : (
                  <Text fw={600}>{area.title}</Text>
                )}
                {area.to ? null : (
                  <Badge variant="light" color="gray" size="sm">
                    Coming
                  </Badge>
                )}
              </Group>
              <Text size="sm" c="dimmed">
                {area.description}
              </Text>
            </Stack>
          </Paper>
        ))}
      </SimpleGrid>
    </Paper>
  );
}
