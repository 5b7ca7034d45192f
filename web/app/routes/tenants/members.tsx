import { Group, Paper, Stack, Text, Title } from '@mantine/core';
import { data, href, redirect } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/members';
import { ROLE_PERMISSIONS } from '../../../../api/auth/permissions.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import type { MemberList, Membership, PendingInvitationList, Role } from '../../../../contracts/index.ts';
import { MembersTable } from '../../components/members/MembersTable.tsx';
import { PendingInvitations } from '../../components/members/PendingInvitations.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { RoleBadge } from '../../components/members/RoleBadge.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Members of ${params.slug} · Atrium` }];

const roles = Object.keys(ROLE_PERMISSIONS) as [Role, ...Role[]];

/** What a row's controls post; the row's form fields carry exactly these names. */
const MemberChange = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('change-role'), userId: z.uuid(), role: z.enum(roles) }),
  z.object({ intent: z.literal('remove'), userId: z.uuid() }),
]);
export type MemberChangeIntent = z.infer<typeof MemberChange>['intent'];

const membersPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}/members`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { user, accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [members, membership, invitations] = await Promise.all([
    callApi<MemberList>(context, membersPath(params.slug), call),
    callApi<Membership>(context, `${membersPath(params.slug)}/me`, call),
    callApi<PendingInvitationList>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/invitations`, call),
  ]);
  const list = resultOrThrow(members, request);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return {
    slug: params.slug,
    members: list.items,
    invited: resultOrThrow(invitations, request).items,
    myRole: mine.role,
    canManage: mine.permissions.includes('members.manage'),
    currentUserId: user.id,
  };
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const parsed = MemberChange.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) {
    return data(
      {
        userId: null,
        problem: {
          type: 'about:blank',
          title: 'Invalid request',
          status: 400,
          detail: parsed.error.issues[0]?.message,
        },
      },
      { status: 400 },
    );
  }
  const change = parsed.data;
  const path = `${membersPath(params.slug)}/${encodeURIComponent(change.userId)}`;
  const result =
    change.intent === 'change-role'
      ? await callApi(context, path, { method: 'PATCH', token: accessToken, body: { role: change.role } })
      : await callApi(context, path, { method: 'DELETE', token: accessToken });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ userId: change.userId, problem: result.problem }, { status: result.status });
  }
  return { userId: change.userId, problem: null };
}

export default function MembersPage({ loaderData }: Route.ComponentProps) {
  const { slug, members, invited, myRole, canManage, currentUserId } = loaderData;

  return (
    <Stack gap="lg">
      <div>
        <TenantNav slug={slug} current="members" />
        <Title order={1} mt="md">
          Members
        </Title>
        <Group gap="xs">
          <Text c="dimmed">
            Who belongs to <b>{slug}</b>, and with which role. You act as
          </Text>
          <RoleBadge role={myRole} />
          {canManage ? null : (
            <Text c="dimmed" data-testid="read-only-note">
              — your role can see members but not change them.
            </Text>
          )}
        </Group>
      </div>
      <Paper withBorder p="md">
        <MembersTable
          members={members}
          roles={roles}
          canManage={canManage}
          currentUserId={currentUserId}
          action={href('/tenants/:slug/members', { slug })}
        />
      </Paper>
      {invited.length > 0 ? <PendingInvitations slug={slug} invitations={invited} /> : null}
    </Stack>
  );
}
