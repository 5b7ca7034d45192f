// The tenant's releases and what runs where: each environment in promotion order with the
// release running there and a promotion on its way, the releases (newest first) with Promote,
// and the form that creates one. Promote opens a modal with the preview of what the promotion
// will meet (releases/PromoteModal.tsx); the promotion's live view is its operation page.
import { Alert, Anchor, Button, EmptyState, Paper, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/releases';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { formText } from '../../form-text.ts';
import type { CreateReleaseAnswer } from '../../promotions/CreateReleaseForm.tsx';
import { CreateReleaseForm } from '../../promotions/CreateReleaseForm.tsx';
import type { PromoteAnswer } from '../../promotions/deployments.ts';
import type { PromoteTarget } from '../../promotions/PromoteModal.tsx';
import { PromoteModal } from '../../promotions/PromoteModal.tsx';
import {
  createRelease,
  fieldErrorsOf,
  loadReleasesPage,
  promoteRelease,
  releaseBodyFrom,
} from '../../promotions/releases.server.ts';
import type { RunningWhere } from '../../promotions/ReleasesList.tsx';
import { ReleasesList } from '../../promotions/ReleasesList.tsx';
import { useRefreshWhileOpen } from '../../promotions/useRefreshWhileOpen.ts';
import { WhatRunsWhere } from '../../promotions/WhatRunsWhere.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Releases of ${params.slug} · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const page = resultOrThrow(
    await loadReleasesPage({ context, token: accessToken, signal: request.signal }, params.slug),
    request,
  );
  rememberTenant(context, params.slug);
  return {
    slug: params.slug,
    ...page,
    // A new key per page load: a double submit creates one release or starts one promotion.
    idempotencyKey: crypto.randomUUID(),
  };
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const call = { context, token: accessToken };
  const idempotencyKey = formText(form, 'idempotencyKey') || crypto.randomUUID();

  if (formText(form, 'intent') === 'promote') {
    const environment = formText(form, 'environment');
    const release = Number(formText(form, 'release'));
    const refuse = (status: number, answer: Omit<PromoteAnswer, 'intent'>) =>
      data<PromoteAnswer>({ intent: 'promote', ...answer }, { status });
    if (!environment)
      return refuse(422, { problem: null, fieldErrors: { environment: 'Choose the target environment.' } });
    if (!Number.isInteger(release) || release <= 0)
      return refuse(422, { problem: null, fieldErrors: { release: 'Choose a release.' } });
    const result = await promoteRelease(call, params.slug, environment, release, idempotencyKey);
    if (!result.ok) {
      if (result.status === 401) throw redirect(loginPath(request));
      return refuse(result.status, { problem: result.problem, fieldErrors: fieldErrorsOf(result.problem) });
    }
    // The operation page is the promotion's live view (its steps stream in).
    throw redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
  }

  const body = releaseBodyFrom(form);
  const values = {
    image: formText(form, 'image'),
    configurationVersion: formText(form, 'configurationVersion'),
    notes: formText(form, 'notes'),
  };
  const result = await createRelease(call, params.slug, body, idempotencyKey);
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<CreateReleaseAnswer>(
      {
        intent: 'create',
        problem: result.problem,
        fieldErrors: fieldErrorsOf(result.problem),
        values,
        created: null,
      },
      { status: result.status },
    );
  }
  return data<CreateReleaseAnswer>(
    { intent: 'create', problem: null, fieldErrors: {}, values: null, created: result.body.number },
    { status: 201 },
  );
}

export default function ReleasesPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, membership, gate, releases, deployments, people, idempotencyKey } = loaderData;
  const [promoting, setPromoting] = useState<PromoteTarget | null>(null);
  useRefreshWhileOpen(deployments);
  const canCreate = membership.permissions.includes('releases.manage');
  const canPromote = gate.enabled && canCreate && releases.length > 0;
  const running: RunningWhere = {};
  for (const deployment of deployments)
    if (deployment.current) (running[deployment.current.release] ??= []).push(deployment.environment);
  const refusal = !gate.enabled
    ? `The ${gate.plan} plan does not include releases and promotions.`
    : !canCreate
      ? `Your role (${membership.role}) cannot create releases; owners, admins and developers can.`
      : null;
  const createAnswer = actionData?.intent === 'create' ? actionData : undefined;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="releases" />
      <div>
        <Title order={1}>Releases</Title>
        <Text c="dimmed">
          Immutable images by digest, promoted through the environments in order. A promotion waits for the approval the
          environment’s policy asks for, holds during freeze windows and the soak time, then deploys and watches the
          rollout.
        </Text>
      </div>

      {!gate.enabled ? (
        <EmptyState
          data-testid="releases-plan-gate"
          title={`Releases and promotions come with the ${gate.unlockedBy ?? 'team'} plan`}
          description={`The ${gate.plan} plan does not include them. ${gate.unlockedBy ? `The ${gate.unlockedBy} plan and those above it` : 'A larger plan'} let you create releases and promote them through approvals.`}
        >
          <EmptyState.Actions>
            <Button component={Link} to={href('/tenants/:slug/plan', { slug })} variant="light">
              See the plans
            </Button>
          </EmptyState.Actions>
        </EmptyState>
      ) : null}

      {createAnswer?.created ? (
        <Alert color="green" data-testid="release-created">
          Release {createAnswer.created} is created. Promote it into an environment from the list below.
        </Alert>
      ) : null}

      <Paper withBorder p="md" component="section" aria-labelledby="what-runs-where-title">
        <Title order={2} size="h4" id="what-runs-where-title" mb="sm">
          What runs where
        </Title>
        <WhatRunsWhere
          deployments={deployments}
          onPromote={canPromote ? (environment) => setPromoting({ environment }) : null}
        />
        <Text size="xs" c="dimmed" mt="sm">
          Protection, soak times and freeze windows are set on the{' '}
          <Anchor component={Link} to={href('/tenants/:slug/environments', { slug })} size="xs">
            Environments
          </Anchor>{' '}
          page; who approves, on the{' '}
          <Anchor component={Link} to={href('/tenants/:slug/approval-policies', { slug })} size="xs">
            Approval policies
          </Anchor>{' '}
          page.
        </Text>
      </Paper>

      <Paper withBorder p="md" component="section" aria-labelledby="releases-title">
        <Title order={2} size="h4" id="releases-title" mb="sm">
          Releases
        </Title>
        <ReleasesList
          releases={releases}
          people={people}
          running={running}
          onPromote={canPromote ? (release) => setPromoting({ release: release.number }) : null}
        />
      </Paper>

      <CreateReleaseForm refusal={refusal} idempotencyKey={idempotencyKey} answer={createAnswer} />

      <PromoteModal
        slug={slug}
        target={promoting}
        onClose={() => setPromoting(null)}
        releases={releases}
        deployments={deployments}
        idempotencyKey={idempotencyKey}
      />
    </Stack>
  );
}
