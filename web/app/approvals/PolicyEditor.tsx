// The approval policy editor: rules (first match applies) with their conditions on request
// attributes, and each rule's stages of escalation (N of a role or a named group, expiry,
// decision hours). The draft lives in the browser; Save and Simulate send it whole (as JSON
// in the form) and the API's field errors come back to the field they name.
import {
  Alert,
  Button,
  Checkbox,
  Divider,
  Group,
  NativeSelect,
  NumberInput,
  Paper,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { ApprovalPolicy, Problem } from '../../../contracts/index.ts';
import { APPROVAL_RISKS, APPROVER_ROLES } from '../../../contracts/approval-policies.ts';

type Rule = ApprovalPolicy['rules'][number];
type Stage = Rule['stages'][number];

const HOUR = 3_600_000;
const newStage = (index: number): Stage => ({
  name: index === 0 ? 'admins' : `stage ${index + 1}`,
  approvers: { kind: 'role', role: 'admin', count: 1 },
  expiresAfterMs: 24 * HOUR,
});
const newRule = (index: number): Rule => ({ name: `rule ${index + 1}`, stages: [newStage(0)] });
const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export function PolicyEditor({
  initial,
  canManage,
  stored,
  result,
}: {
  initial: ApprovalPolicy;
  canManage: boolean;
  /** The environment has a policy of its own (it can be removed). */
  stored: boolean;
  result: { intent: string; problem: Problem | null; fieldErrors: Record<string, string> } | undefined;
}) {
  const [policy, setPolicy] = useState<ApprovalPolicy>(initial);
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' ? navigation.formData?.get('intent') : null;
  const errors = result?.fieldErrors ?? {};
  const error = (path: string) => errors[path];
  const why = canManage ? undefined : 'Only owners and admins edit approval policies.';

  const setRule = (index: number, change: (rule: Rule) => Rule) =>
    setPolicy((current) => ({ ...current, rules: current.rules.map((r, i) => (i === index ? change(r) : r)) }));
  const setStage = (ruleIndex: number, stageIndex: number, change: (stage: Stage) => Stage) =>
    setRule(ruleIndex, (rule) => ({
      ...rule,
      stages: rule.stages.map((s, i) => (i === stageIndex ? change(s) : s)),
    }));
  const setWhen = (ruleIndex: number, key: 'environments' | 'plans' | 'risks', values: string[]) =>
    setRule(ruleIndex, (rule) => {
      const when: NonNullable<Rule['when']> = { ...rule.when };
      if (values.length === 0) delete when[key];
      else (when as Record<string, string[]>)[key] = values;
      const { when: _old, ...rest } = rule;
      return Object.keys(when).length > 0 ? { ...rest, when } : rest;
    });

  return (
    <Form method="post" data-testid="policy-editor">
      <input type="hidden" name="policy" value={JSON.stringify(policy)} />
      <Stack gap="md">
        {result?.problem && Object.keys(errors).length === 0 ? (
          <Alert color="red" title={result.problem.title} data-testid="policy-problem">
            {result.problem.detail}
          </Alert>
        ) : null}
        {Object.keys(errors).length > 0 ? (
          <Alert color="red" title="Some fields need attention" data-testid="policy-problem">
            Each one says what is wrong below.
          </Alert>
        ) : null}
        {error('rules') ? (
          <Text c="red" size="sm">
            {error('rules')}
          </Text>
        ) : null}
        {policy.rules.map((rule, r) => (
          <Paper key={r} withBorder p="md" data-testid="policy-rule">
            <Stack gap="sm">
              <Group justify="space-between" align="flex-end" wrap="wrap">
                <TextInput
                  label={`Rule ${r + 1}`}
                  description="The first rule whose conditions match a request applies."
                  value={rule.name}
                  onChange={(e) => setRule(r, (x) => ({ ...x, name: e.currentTarget.value }))}
                  error={error(`rules.${r}.name`)}
                  disabled={!canManage}
                  w={{ base: '100%', sm: 320 }}
                />
                <Button
                  variant="subtle"
                  color="red"
                  size="xs"
                  onClick={() => setPolicy((p) => ({ ...p, rules: p.rules.filter((_, i) => i !== r) }))}
                  disabled={!canManage || policy.rules.length === 1}
                  title={why ?? (policy.rules.length === 1 ? 'A policy has at least one rule.' : undefined)}
                >
                  Remove rule
                </Button>
              </Group>
              <Group grow align="flex-start" wrap="wrap">
                <TextInput
                  label="Environments"
                  description="Comma-separated; empty: any"
                  defaultValue={rule.when?.environments?.join(', ') ?? ''}
                  onChange={(e) => setWhen(r, 'environments', list(e.currentTarget.value))}
                  error={error(`rules.${r}.when.environments`)}
                  disabled={!canManage}
                  miw={180}
                />
                <TextInput
                  label="Plans"
                  description="Comma-separated; empty: any"
                  defaultValue={rule.when?.plans?.join(', ') ?? ''}
                  onChange={(e) => setWhen(r, 'plans', list(e.currentTarget.value))}
                  error={error(`rules.${r}.when.plans`)}
                  disabled={!canManage}
                  miw={180}
                />
                <Checkbox.Group
                  label="Risks"
                  description="None ticked: any"
                  value={rule.when?.risks ?? []}
                  onChange={(values) => setWhen(r, 'risks', values)}
                  error={error(`rules.${r}.when.risks`)}
                >
                  <Group gap="sm" mt={6}>
                    {APPROVAL_RISKS.map((risk) => (
                      <Checkbox key={risk} value={risk} label={risk} disabled={!canManage} />
                    ))}
                  </Group>
                </Checkbox.Group>
              </Group>
              <Checkbox
                label="A rejection must say why"
                checked={rule.rejectionNeedsComment ?? true}
                onChange={(e) => setRule(r, (x) => ({ ...x, rejectionNeedsComment: e.currentTarget.checked }))}
                disabled={!canManage}
              />
              <Divider label={rule.stages.length === 0 ? 'No stages: no approval needed' : 'Stages of escalation'} />
              {error(`rules.${r}.stages`) ? (
                <Text c="red" size="sm">
                  {error(`rules.${r}.stages`)}
                </Text>
              ) : null}
              {rule.stages.map((stage, s) => {
                const at = `rules.${r}.stages.${s}`;
                return (
                  <Paper key={s} withBorder p="sm" radius="sm" bg="var(--mantine-color-default-hover)">
                    <Group align="flex-start" gap="sm" wrap="wrap" data-testid="policy-stage">
                      <TextInput
                        label="Stage"
                        value={stage.name}
                        onChange={(e) => setStage(r, s, (x) => ({ ...x, name: e.currentTarget.value }))}
                        error={error(`${at}.name`)}
                        disabled={!canManage}
                        w={140}
                      />
                      <NumberInput
                        label="Approvals needed"
                        value={stage.approvers.count}
                        onChange={(value) =>
                          setStage(r, s, (x) => ({ ...x, approvers: { ...x.approvers, count: Number(value) || 0 } }))
                        }
                        error={error(`${at}.approvers.count`)}
                        disabled={!canManage}
                        allowDecimal={false}
                        w={130}
                      />
                      <NativeSelect
                        label="Of"
                        value={stage.approvers.kind}
                        data={[
                          { value: 'role', label: 'a role' },
                          { value: 'group', label: 'a group' },
                        ]}
                        onChange={(e) => {
                          const kind = e.currentTarget.value;
                          setStage(r, s, (x) => ({
                            ...x,
                            approvers:
                              kind === 'group'
                                ? { kind: 'group', group: '', count: x.approvers.count }
                                : { kind: 'role', role: 'admin', count: x.approvers.count },
                          }));
                        }}
                        disabled={!canManage}
                        w={110}
                      />
                      {stage.approvers.kind === 'role' ? (
                        <NativeSelect
                          label="Role"
                          value={stage.approvers.role}
                          data={[...APPROVER_ROLES]}
                          onChange={(e) => {
                            const role = e.currentTarget.value as (typeof APPROVER_ROLES)[number];
                            setStage(r, s, (x) => ({
                              ...x,
                              approvers: { kind: 'role', role, count: x.approvers.count },
                            }));
                          }}
                          error={error(`${at}.approvers.role`)}
                          disabled={!canManage}
                          w={150}
                        />
                      ) : (
                        <TextInput
                          label="Group"
                          value={stage.approvers.group}
                          onChange={(e) => {
                            const group = e.currentTarget.value;
                            setStage(r, s, (x) => ({
                              ...x,
                              approvers: { kind: 'group', group, count: x.approvers.count },
                            }));
                          }}
                          error={error(`${at}.approvers.group`)}
                          disabled={!canManage}
                          w={160}
                        />
                      )}
                      <NumberInput
                        label="Expires after (hours)"
                        value={stage.expiresAfterMs / HOUR}
                        onChange={(value) =>
                          setStage(r, s, (x) => ({ ...x, expiresAfterMs: Math.round(Number(value) * HOUR) }))
                        }
                        error={error(`${at}.expiresAfterMs`)}
                        disabled={!canManage}
                        min={0}
                        w={150}
                      />
                      <NumberInput
                        label="Decisions from (UTC hour)"
                        value={stage.hours?.fromHour ?? ''}
                        placeholder="any time"
                        onChange={(value) =>
                          setStage(r, s, (x) => {
                            const { hours: _old, ...rest } = x;
                            return value === ''
                              ? rest
                              : { ...rest, hours: { fromHour: Number(value), toHour: x.hours?.toHour ?? 24 } };
                          })
                        }
                        error={error(`${at}.hours.fromHour`) ?? error(`${at}.hours`)}
                        disabled={!canManage}
                        allowDecimal={false}
                        w={170}
                      />
                      <NumberInput
                        label="until (UTC hour)"
                        value={stage.hours?.toHour ?? ''}
                        placeholder="any time"
                        onChange={(value) =>
                          setStage(r, s, (x) => {
                            const { hours: _old, ...rest } = x;
                            return value === ''
                              ? rest
                              : { ...rest, hours: { fromHour: x.hours?.fromHour ?? 0, toHour: Number(value) } };
                          })
                        }
                        error={error(`${at}.hours.toHour`)}
                        disabled={!canManage}
                        allowDecimal={false}
                        w={130}
                      />
                      <Button
                        variant="subtle"
                        color="red"
                        size="xs"
                        mt={24}
                        onClick={() => setRule(r, (x) => ({ ...x, stages: x.stages.filter((_, i) => i !== s) }))}
                        disabled={!canManage}
                        title={why}
                      >
                        Remove stage
                      </Button>
                    </Group>
                  </Paper>
                );
              })}
              <Group>
                <Button
                  variant="light"
                  size="xs"
                  onClick={() => setRule(r, (x) => ({ ...x, stages: [...x.stages, newStage(x.stages.length)] }))}
                  disabled={!canManage || rule.stages.length >= 5}
                  title={why ?? (rule.stages.length >= 5 ? 'At most 5 stages of escalation.' : undefined)}
                >
                  Add stage
                </Button>
              </Group>
            </Stack>
          </Paper>
        ))}
        <Group justify="space-between" wrap="wrap">
          <Button
            variant="light"
            onClick={() => setPolicy((p) => ({ ...p, rules: [...p.rules, newRule(p.rules.length)] }))}
            disabled={!canManage || policy.rules.length >= 20}
            title={why ?? (policy.rules.length >= 20 ? 'At most 20 rules.' : undefined)}
          >
            Add rule
          </Button>
          <Group gap="sm">
            {stored ? (
              <Button
                type="submit"
                name="intent"
                value="delete"
                variant="subtle"
                color="red"
                disabled={!canManage}
                title={why}
                loading={busy === 'delete'}
              >
                Remove policy
              </Button>
            ) : null}
            <Button
              type="submit"
              name="intent"
              value="simulate"
              variant="default"
              disabled={!canManage}
              title={why ?? 'What this policy would have done to the requests of the last 30 days and those waiting'}
              loading={busy === 'simulate'}
              data-testid="policy-simulate"
            >
              Simulate
            </Button>
            <Button
              type="submit"
              name="intent"
              value="save"
              disabled={!canManage}
              title={why}
              loading={busy === 'save'}
              data-testid="policy-save"
            >
              Save
            </Button>
          </Group>
        </Group>
        {!canManage ? (
          <Text size="sm" c="dimmed" data-testid="policy-read-only">
            {why}
          </Text>
        ) : null}
      </Stack>
    </Form>
  );
}

/** A policy in words (the empty state shows the one that applies). */
export function PolicySummary({ policy }: { policy: ApprovalPolicy }) {
  return (
    <Stack gap={4}>
      {policy.rules.map((rule) => (
        <Text key={rule.name} size="sm">
          <Text span fw={600}>
            {rule.name}
          </Text>
          {rule.when?.environments ? ` (environments ${rule.when.environments.join(', ')})` : ''}
          {': '}
          {rule.stages.length === 0
            ? 'no approval needed'
            : rule.stages
                .map(
                  (stage) =>
                    `${stage.approvers.count} × ${stage.approvers.kind === 'role' ? stage.approvers.role : `group ${stage.approvers.group}`} within ${stage.expiresAfterMs / HOUR} h`,
                )
                .join(', then ')}
        </Text>
      ))}
    </Stack>
  );
}

export function PolicyTitle({ environment }: { environment: string }) {
  return (
    <Title order={2} size="h4">
      {environment === '' ? 'Tenant default' : `Environment ${environment}`}
    </Title>
  );
}
