import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { data, Form, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/signup';
import type { Problem, SignupRequested } from '../../../../contracts/index.ts';
import { signupBodyFromForm, SignupForm } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard, fieldErrorsOf } from '../../components/AuthCard.tsx';
import { optionalUser, rememberSignupEmail } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Create an account · Atrium' }];

export async function loader({ context }: Route.LoaderArgs) {
  if (await optionalUser(context)) throw redirect('/tenants');
  return null;
}

export async function action({ context, request }: Route.ActionArgs) {
  const form = Object.fromEntries(await request.formData());
  const values = Object.fromEntries(Object.entries(form).filter(([name]) => name !== 'password'));
  const parsed = SignupForm.safeParse(form);
  if (!parsed.success)
    return data(
      { values, fieldErrors: fieldErrorsOf(parsed.error.issues), problem: null as Problem | null },
      { status: 422 },
    );
  const result = await callApi<SignupRequested>(context, '/api/v1/auth/signup', {
    method: 'POST',
    body: signupBodyFromForm(parsed.data),
  });
  if (!result.ok) {
    // The API names nested fields (organization.slug); the form's fields are flat.
    const fieldErrors: Record<string, string> = {};
    for (const e of result.problem.errors ?? []) {
      const name = { 'organization.slug': 'slug', 'organization.name': 'organizationName' }[e.path] ?? e.path;
      fieldErrors[name] ??= e.message;
    }
    return data({ values, fieldErrors, problem: result.problem }, { status: result.status });
  }
  // Nothing exists yet: the mailed link completes the signup (the same answer for every address).
  rememberSignupEmail(context, parsed.data.email);
  throw redirect('/signup/check-email');
}

export default function SignupPage({ actionData }: Route.ComponentProps) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const navigation = useNavigation();
  const errors = { ...actionData?.fieldErrors, ...clientErrors };
  const values = (actionData?.values ?? {}) as Record<string, string | undefined>;
  return (
    <AuthCard title="Create an account" subtitle="and an organization to manage in Atrium">
      <Form
        method="post"
        aria-label="Sign up"
        noValidate
        onSubmit={(event) => {
          const parsed = SignupForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
          if (parsed.success) return setClientErrors({});
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <Stack gap="sm">
          {actionData?.problem && !Object.keys(actionData.fieldErrors).length ? (
            <Alert color="red" title={actionData.problem.title}>
              {actionData.problem.detail}
            </Alert>
          ) : null}
          <TextInput
            name="displayName"
            required
            label="Your name"
            autoComplete="name"
            defaultValue={values.displayName}
            error={errors.displayName}
          />
          <TextInput
            name="email"
            required
            type="email"
            label="Email"
            autoComplete="email"
            defaultValue={values.email}
            error={errors.email}
          />
          <PasswordInput
            name="password"
            required
            label="Password"
            description="At least 12 characters."
            autoComplete="new-password"
            error={errors.password}
          />
          <TextInput
            name="organizationName"
            required
            label="Organization"
            defaultValue={values.organizationName}
            error={errors.organizationName}
          />
          <TextInput
            name="slug"
            required
            label="Organization slug"
            description="Lowercase letters, digits and dashes; fixed once created."
            defaultValue={values.slug}
            error={errors.slug}
          />
          <Button type="submit" loading={navigation.state === 'submitting'} fullWidth mt="xs">
            Create account
          </Button>
          <Text size="sm" ta="center">
            Have an account?{' '}
            <Anchor component={Link} to="/login">
              Sign in
            </Anchor>
          </Text>
        </Stack>
      </Form>
    </AuthCard>
  );
}
