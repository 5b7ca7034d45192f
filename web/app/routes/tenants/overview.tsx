import { Alert, Anchor, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { href, Link } from 'react-router';
import type { Route } from './+types/overview';
import type {
  MemberList,
  Membership,
  OperationList,
  PendingInvitationList,
  Tenant,
} from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { RoleBadge } from '../../components/members/RoleBadge.tsx';
import { RecentOperations } from '../../components/operations/RecentOperations.tsx';
import { TenantAreas } from '../../components/tenants/TenantAreas.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { TenantStatusBadge } from '../../components/tenants/TenantStatusBadge.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `${params.slug} · Atrium` }];

/** How many operations the overview lists; the operations page has the rest. */
const RECENT_OPERATIONS = 5;

const tenantPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}`;

// The tenant's hub (the welcome mail links here): what it is, who is in it, what happened
// lately, and the areas later features add. Outsiders get the 404 page (the API answers them
// 404, exactly as for a tenant that does not exist).
export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [tenantResult, membershipResult] = await Promise.all([
    callApi<Tenant>(context, tenantPath(params.slug), call),
    callApi<Membership>(context, `${tenantPath(params.slug)}/members/me`, call),
  ]);
  const tenant = resultOrThrow(tenantResult, request);
  const mine = resultOrThrow(membershipResult, request);
  const canReadOperations = mine.permissions.includes('operations.read');
  const [members, invitations, operations] = await Promise.all([
    callApi<MemberList>(context, `${tenantPath(params.slug)}/members`, call),
    callApi<PendingInvitationList>(context, `${tenantPath(params.slug)}/invitations`, call),
    canReadOperations
      ? callApi<OperationList>(
          context,
          `/api/v1/operations?${new URLSearchParams({ tenantId: tenant.id, limit: String(RECENT_OPERATIONS) })}`,
          call,
        )
      : null,
  ]);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return {
    tenant,
    myRole: mine.role,
    memberCount: resultOrThrow(members, request).items.length,
    pendingInvitations: resultOrThrow(invitations, request).items.length,
    operations: operations ? resultOrThrow(operations, request).items : null,
  };
}

export default function TenantOverviewPage({ loaderData }: Route.ComponentProps) {
  const { tenant, myRole, memberCount, pendingInvitations, operations } = loaderData;
  const membersLink = href('/tenants/:slug/members', { slug: tenant.slug });

  return (
    <Stack gap="lg">
      <div>
        <TenantNav slug={tenant.slug} current="overview" />
        <Group justify="space-between" align="flex-end" mt="md" gap="xs" wrap="wrap">
          <div style={{ minWidth: 0 }}>
            <Title order={1} style={{ overflowWrap: 'anywhere' }}>
              {tenant.name}
            </Title>
            <Group gap="xs">
              <Text c="dimmed">You act as</Text>
              <RoleBadge role={myRole} />
            </Group>
          </div>
          <Text c="dimmed" ff="monospace" size="sm">
            {tenant.slug}
          </Text>
        </Group>
      </div>

      <StatusNotice tenant={tenant} />

      <SimpleGrid cols={{ base: 1, xs: 2, lg: 4 }} spacing="md" data-testid="tenant-facts">
        <Fact label="Status">
          <TenantStatusBadge status={tenant.status} />
        </Fact>
        <Fact label="Plan">
          <Text fw={600} tt="capitalize" data-testid="tenant-plan">
            {tenant.plan}
          </Text>
        </Fact>
        <Fact label="Members">
          <Group gap="xs" align="baseline">
            <Anchor component={Link} to={membersLink} fw={600} data-testid="member-count">
              {memberCount === 1 ? '1 member' : `${memberCount} members`}
            </Anchor>
            {pendingInvitations > 0 ? (
              <Anchor
                component={Link}
                to={href('/tenants/:slug/invitations', { slug: tenant.slug })}
                size="sm"
                c="dimmed"
                data-testid="pending-invitation-count"
              >
                {pendingInvitations === 1 ? '1 invited' : `${pendingInvitations} invited`}
              </Anchor>
            ) : null}
          </Group>
        </Fact>
        <Fact label="Created">
          <Timestamp value={tenant.createdAt} />
        </Fact>
      </SimpleGrid>

      <Paper withBorder p="md" component="section" aria-labelledby="recent-operations-title">
        <Group justify="space-between" mb="sm" gap="xs">
          <Title order={2} size="h4" id="recent-operations-title">
            Recent operations
          </Title>
          {operations && operations.length > 0 ? (
            <Anchor component={Link} to="/operations" size="sm">
              All operations
            </Anchor>
          ) : null}
        </Group>
        {operations ? (
          <RecentOperations operations={operations} />
        ) : (
          <Text c="dimmed" size="sm" data-testid="operations-not-allowed">
            Your role ({myRole}) does not include reading operations; ask an owner or admin if you need them.
          </Text>
        )}
      </Paper>

      <TenantAreas slug={tenant.slug} />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} mb={4}>
        {label}
      </Text>
      {children}
    </Paper>
  );
}

/** What a tenant that is not simply active needs to say first. */
function StatusNotice({ tenant }: { tenant: Tenant }) {
  if (tenant.status === 'pending')
    return (
      <Alert color="blue" title="Being set up" data-testid="tenant-notice">
        {tenant.approvalStatus === 'pending'
          ? 'Its plan needs a platform admin’s approval; provisioning goes on once one approves it.'
          : 'Provisioning is under way; its operation below shows each step.'}
      </Alert>
    );
  if (tenant.status === 'failed')
    return (
      <Alert color="red" title="Provisioning failed" data-testid="tenant-notice">
        {tenant.failureReason ?? 'No reason was recorded.'}
      </Alert>
    );
  const closed = {
    suspended: 'A platform admin suspended it: its members and API keys are refused until it is reactivated.',
    offboarding: 'A platform admin is offboarding it: its resources are deleted once the grace period ends.',
    offboarded: 'It was offboarded: its resources are deleted; its record and audit log remain.',
  } as const;
  if (tenant.status in closed)
    return (
      <Alert color="orange" title={`This tenant is ${tenant.status}`} data-testid="tenant-notice">
        {closed[tenant.status as keyof typeof closed]}
      </Alert>
    );
  return null;
}
