import {
  Alert,
  Button,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { data, Form, redirect, useNavigation } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/invitations';
import type { InvitationCreated, Membership, PendingInvitationList, Problem } from '../../../../contracts/index.ts';
import { InviteRequest, ROLES } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { fieldErrorsOf } from '../../components/AuthCard.tsx';
import { RoleBadge } from '../../components/members/RoleBadge.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Invitations of ${params.slug} · Atrium` }];

/** The invite form, checked in the browser and again in the action. */
const InviteForm = z.object({ ...InviteRequest.shape, role: z.enum(ROLES, 'Choose a role.') });

const path = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}/invitations`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [list, membership] = await Promise.all([
    callApi<PendingInvitationList>(context, path(params.slug), call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return {
    slug: params.slug,
    invitations: resultOrThrow(list, request).items,
    myRole: mine.role,
    canManage: mine.permissions.includes('members.manage'),
  };
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  if (form.intent === 'withdraw') {
    const id = typeof form.id === 'string' ? form.id : '';
    const result = await callApi(context, `${path(params.slug)}/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      token: accessToken,
    });
    if (!result.ok && result.status === 401) throw redirect(loginPath(request));
    return data(
      { invited: null, fieldErrors: {}, problem: result.ok ? null : result.problem },
      { status: result.ok ? 200 : result.status },
    );
  }
  const parsed = InviteForm.safeParse(form);
  if (!parsed.success)
    return data(
      { invited: null, fieldErrors: fieldErrorsOf(parsed.error.issues), problem: null as Problem | null },
      { status: 422 },
    );
  const result = await callApi<InvitationCreated>(context, path(params.slug), {
    method: 'POST',
    token: accessToken,
    body: parsed.data,
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return data({ invited: null, fieldErrors, problem: result.problem }, { status: result.status });
  }
  return { invited: result.body, fieldErrors: {}, problem: null };
}

export default function InvitationsPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, invitations, myRole, canManage } = loaderData;
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const navigation = useNavigation();
  const errors: Record<string, string> = { ...actionData?.fieldErrors, ...clientErrors };
  const invitableRoles = myRole === 'owner' ? ROLES : ROLES.filter((role) => role !== 'owner');
  // After an invitation went out the form starts empty again (after a refusal it keeps
  // what was typed, to be corrected).
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (actionData?.invited) formRef.current?.reset();
  }, [actionData]);
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="invitations" />
      <div>
        <Title order={1}>Invitations</Title>
        <Text c="dimmed">People invited by email join {slug} with the role chosen here once they accept.</Text>
      </div>
      {actionData?.invited ? (
        <Alert color="green" data-testid="invited">
          {actionData.invited.mailed
            ? `Invitation mailed to ${actionData.invited.email}.`
            : `Invitation saved, but the mail to ${actionData.invited.email} could not be sent; invite again to resend.`}
        </Alert>
      ) : null}
      {actionData?.problem && !Object.keys(actionData.fieldErrors).length ? (
        <Alert color="red" title={actionData.problem.title}>
          {actionData.problem.detail}
        </Alert>
      ) : null}
      {canManage ? (
        <Paper withBorder p="md">
          <Form
            ref={formRef}
            method="post"
            aria-label="Invite someone"
            noValidate
            onSubmit={(event) => {
              const parsed = InviteForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
              if (parsed.success) return setClientErrors({});
              event.preventDefault();
              setClientErrors(fieldErrorsOf(parsed.error.issues));
            }}
          >
            <input type="hidden" name="intent" value="invite" />
            <Group align="flex-start">
              <TextInput
                name="email"
                type="email"
                label="Email"
                placeholder="someone@example.com"
                error={errors.email}
                w={{ base: '100%', xs: 300 }}
              />
              <NativeSelect
                name="role"
                label="Role"
                data={invitableRoles}
                defaultValue="developer"
                error={errors.role}
              />
              <Button type="submit" mt={24} loading={navigation.state === 'submitting'}>
                Invite
              </Button>
            </Group>
          </Form>
        </Paper>
      ) : null}
      <Paper withBorder p="md">
        {invitations.length === 0 ? (
          <EmptyState
            data-testid="invitations-empty"
            title="No pending invitations"
            description="Everyone invited has answered."
          />
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table aria-label="Pending invitations" data-testid="invitations-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Invited by</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  {canManage ? <Table.Th aria-label="Actions" /> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {invitations.map((invitation) => (
                  <Table.Tr key={invitation.id} data-testid="invitation-row" data-email={invitation.email}>
                    <Table.Td>{invitation.email}</Table.Td>
                    <Table.Td>
                      <RoleBadge role={invitation.role} />
                    </Table.Td>
                    <Table.Td>{invitation.invitedBy ?? '—'}</Table.Td>
                    <Table.Td>
                      <Timestamp value={invitation.expiresAt} />
                    </Table.Td>
                    {canManage ? (
                      <Table.Td>
                        <Form method="post">
                          <input type="hidden" name="intent" value="withdraw" />
                          <input type="hidden" name="id" value={invitation.id} />
                          <Button
                            type="submit"
                            size="xs"
                            variant="subtle"
                            color="red"
                            aria-label={`Withdraw the invitation of ${invitation.email}`}
                          >
                            Withdraw
                          </Button>
                        </Form>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </Stack>
  );
}
