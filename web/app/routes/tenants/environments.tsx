import { Alert, Anchor, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import { data, Form, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/environments';
import type { Environment, Membership, Problem } from '../../../../contracts/index.ts';
import { DEFAULT_CONFIGURATION, DEFAULT_PROTECTION } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { formatProblem } from '../../connectors/problem-text.ts';
import type { EnvironmentFormText } from '../../environments/environment-form.ts';
import {
  environmentBodyFromForm,
  fieldOfPath,
  FormTextError,
  formTextOf,
} from '../../environments/environment-form.ts';
import type { FieldErrors } from '../../environments/EnvironmentFields.tsx';
import { EnvironmentFields } from '../../environments/EnvironmentFields.tsx';
import {
  createEnvironment,
  deleteEnvironment,
  formTextFrom,
  listEnvironments,
  updateEnvironment,
} from '../../environments/environments.server.ts';
import { EnvironmentsList } from '../../environments/EnvironmentsList.tsx';
import { formText } from '../../form-text.ts';
import type { PromoteTarget } from '../../promotions/PromoteModal.tsx';
import { loadEnvironmentReleases } from '../../promotions/releases.server.ts';
import { useRefreshWhileOpen } from '../../promotions/useRefreshWhileOpen.ts';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

// Loaded on the first Promote: the page's first load stays within its budget.
const PromoteModal = lazy(() =>
  import('../../promotions/PromoteModal.tsx').then((module) => ({ default: module.PromoteModal })),
);

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Environments of ${params.slug} · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { context, token: accessToken, signal: request.signal };
  const [environments, membership] = await Promise.all([
    listEnvironments(call, params.slug),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, {
      token: accessToken,
      signal: request.signal,
    }),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug);
  const list = resultOrThrow(environments, request);
  // What runs where, and the releases Promote can offer (promotions/, releases/).
  const { releases, deployments } = await loadEnvironmentReleases(call, params.slug, list.items);
  return {
    slug: params.slug,
    myRole: mine.role,
    canManage: mine.permissions.includes('environments.manage'),
    canPromote: mine.permissions.includes('releases.manage') && releases.length > 0,
    releases,
    deployments,
    // A new key per page load: a double submit of Promote starts one promotion.
    idempotencyKey: crypto.randomUUID(),
    environments: list.items,
    limit: list.limit,
    used: list.used,
    editing: new URL(request.url).searchParams.get('edit'),
  };
}

interface ActionResult {
  intent: string;
  /** The environment the form was about (edit), or the name asked for (create). */
  environment: string;
  problem: Problem | null;
  fieldErrors: FieldErrors;
  /** What was sent, shown again with the errors. */
  values: EnvironmentFormText | null;
  done: string | null;
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const call = { context, token: accessToken };
  const intent = formText(form, 'intent');
  const environment = formText(form, 'environment');
  const failed = (status: number, result: Omit<ActionResult, 'intent' | 'environment' | 'done'>) =>
    data<ActionResult>({ intent, environment, done: null, ...result }, { status });

  if (intent === 'delete') {
    const result = await deleteEnvironment(call, params.slug, environment);
    if (!result.ok) {
      if (result.status === 401) throw redirect(loginPath(request));
      return failed(result.status, { problem: result.problem, fieldErrors: {}, values: null });
    }
    return data<ActionResult>({
      intent,
      environment,
      problem: null,
      fieldErrors: {},
      values: null,
      done: `Deleting ${environment}: its namespace is being removed.`,
    });
  }

  const values = formTextFrom(form);
  let body: ReturnType<typeof environmentBodyFromForm>;
  try {
    body = environmentBodyFromForm(values);
  } catch (error) {
    if (!(error instanceof FormTextError)) throw error;
    return failed(422, { problem: null, fieldErrors: { [error.field]: error.message }, values });
  }
  const result =
    intent === 'update'
      ? await updateEnvironment(call, params.slug, environment, body)
      : await createEnvironment(call, params.slug, { name: environment, ...body });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    const fieldErrors: FieldErrors = {};
    for (const error of result.problem.errors ?? []) {
      const { field, message } = fieldOfPath(error.path, error.message);
      fieldErrors[field] ??= message;
    }
    return failed(result.status, { problem: result.problem, fieldErrors, values });
  }
  if (intent === 'update') throw redirect(`/tenants/${encodeURIComponent(params.slug)}/environments`);
  return data<ActionResult>(
    {
      intent,
      environment,
      problem: null,
      fieldErrors: {},
      values: null,
      done: `Creating ${environment}: its namespace is being made.`,
    },
    { status: 202 },
  );
}

export default function EnvironmentsPage({ loaderData, actionData }: Route.ComponentProps) {
  const {
    slug,
    myRole,
    canManage,
    canPromote,
    releases,
    deployments,
    idempotencyKey,
    environments,
    limit,
    used,
    editing,
  } = loaderData;
  const [promoting, setPromoting] = useState<PromoteTarget | null>(null);
  const [promotedOnce, setPromotedOnce] = useState(false);
  useRefreshWhileOpen(deployments);
  const promote = (environment: string) => {
    setPromotedOnce(true);
    setPromoting({ environment });
  };
  const editable = environments.find((environment) => environment.name === editing) ?? null;
  const full = limit !== null && used >= limit;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="environments" />
      <div>
        <Title order={1}>Environments</Title>
        <Text c="dimmed">
          Where this tenant's releases run, in promotion order. Each has its own namespace, configuration and
          protection.
        </Text>
      </div>
      {actionData?.done ? (
        <Alert color="blue" data-testid="environment-started">
          {actionData.done}
        </Alert>
      ) : null}
      {actionData?.problem && actionData.intent === 'delete' ? (
        <Alert color="red" title={actionData.problem.title} data-testid="environments-problem">
          {formatProblem(actionData.problem)}
        </Alert>
      ) : null}
      <Paper withBorder p="md">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            In order
          </Title>
          <Text size="sm" c="dimmed" data-testid="environment-limit">
            {limit === null
              ? `${used} environments; the plan has no limit.`
              : `${used} of ${limit} environments the plan allows.`}
          </Text>
        </Group>
        <EnvironmentsList
          environments={environments}
          canManage={canManage}
          deployments={deployments}
          onPromote={canPromote ? promote : null}
        />
        <Text size="xs" c="dimmed" mt="sm">
          Releases, and what runs where with the promotions on their way, are on the{' '}
          <Anchor component={Link} to={`/tenants/${encodeURIComponent(slug)}/releases`} size="xs">
            Releases
          </Anchor>{' '}
          page.
        </Text>
      </Paper>
      {promotedOnce ? (
        <Suspense fallback={null}>
          <PromoteModal
            slug={slug}
            target={promoting}
            onClose={() => setPromoting(null)}
            releases={releases}
            deployments={deployments}
            idempotencyKey={idempotencyKey}
          />
        </Suspense>
      ) : null}
      {editable && canManage ? (
        <EditEnvironment environment={editable} actionData={actionData?.intent === 'update' ? actionData : undefined} />
      ) : null}
      <CreateEnvironment
        canManage={canManage}
        myRole={myRole}
        full={full}
        limit={limit}
        actionData={actionData?.intent === 'create' ? actionData : undefined}
      />
    </Stack>
  );
}

function ProblemAlert({ problem }: { problem: Problem | null }) {
  if (!problem) return null;
  return (
    <Alert color="red" title={problem.title} data-testid="environment-form-problem">
      {problem.errors?.length ? 'See the fields below.' : formatProblem(problem)}
    </Alert>
  );
}

function EditEnvironment({
  environment,
  actionData,
}: {
  environment: Environment;
  actionData: ActionResult | undefined;
}) {
  const navigation = useNavigation();
  const values = actionData?.values ?? formTextOf(environment.configuration, environment.protection);
  return (
    <Paper withBorder p="md">
      <Form method="post" aria-label={`Edit ${environment.name}`} key={environment.name}>
        <input type="hidden" name="intent" value="update" />
        <input type="hidden" name="environment" value={environment.name} />
        <Stack gap="sm">
          <Title order={2} size="h4">
            Edit {environment.name}
          </Title>
          <ProblemAlert problem={actionData?.problem ?? null} />
          <EnvironmentFields values={values} errors={actionData?.fieldErrors ?? {}} />
          <Group>
            <Button type="submit" loading={navigation.state === 'submitting'}>
              Save {environment.name}
            </Button>
            <Button component={Link} to="." variant="default">
              Cancel
            </Button>
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}

function CreateEnvironment({
  canManage,
  myRole,
  full,
  limit,
  actionData,
}: {
  canManage: boolean;
  myRole: string;
  full: boolean;
  limit: number | null;
  actionData: ActionResult | undefined;
}) {
  const navigation = useNavigation();
  const refusal = !canManage
    ? `Your role (${myRole}) cannot add environments; owners and admins can.`
    : full
      ? `The plan allows ${limit} ${limit === 1 ? 'environment' : 'environments'}; delete one or change the plan to add another.`
      : null;
  const values = actionData?.values ?? formTextOf(DEFAULT_CONFIGURATION, DEFAULT_PROTECTION);
  return (
    <Paper withBorder p="md">
      <Form method="post" aria-label="Add an environment">
        <input type="hidden" name="intent" value="create" />
        <Stack gap="sm">
          <Title order={2} size="h4">
            Add an environment
          </Title>
          <ProblemAlert problem={actionData?.problem ?? null} />
          <TextInput
            name="environment"
            label="Name"
            description="Lowercase letters, digits and -, at most 15 characters; it names the namespace"
            defaultValue={actionData?.environment ?? ''}
            error={actionData?.fieldErrors.name}
            disabled={refusal !== null}
            maw={360}
          />
          {refusal === null ? <EnvironmentFields values={values} errors={actionData?.fieldErrors ?? {}} /> : null}
          <Group>
            <Button type="submit" disabled={refusal !== null} loading={navigation.state === 'submitting'}>
              Add environment
            </Button>
            {refusal ? (
              <Text size="sm" c="dimmed" data-testid="create-environment-refusal">
                {refusal}
              </Text>
            ) : null}
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}
