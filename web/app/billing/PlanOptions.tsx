import { Badge, Button, Card, Group, List, Radio, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { PlanOption, PlanUsage, TenantPlanOverview } from '../../../contracts/index.ts';
import { PLAN_LIMIT_LABELS, PLAN_LIMIT_NAMES } from '../../../contracts/index.ts';

const PLAN_TITLES: Record<PlanOption['plan'], string> = { free: 'Free', team: 'Team', enterprise: 'Enterprise' };

/** One card per plan: what it gives, and the button that moves the tenant to it (or why it cannot). */
export function PlanOptions({ overview }: { overview: TenantPlanOverview }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
      {overview.options.map((option) => (
        <PlanCard key={option.plan} option={option} usage={overview.usage} overview={overview} />
      ))}
    </SimpleGrid>
  );
}

function PlanCard({ option, usage, overview }: { option: PlanOption; usage: PlanUsage; overview: TenantPlanOverview }) {
  const navigation = useNavigation();
  const [timing, setTiming] = useState<'period-end' | 'now'>('period-end');
  const submitting = navigation.state !== 'idle' && navigation.formData?.get('plan') === option.plan;
  const blocked = option.blockers.length > 0;
  const busy = overview.pending !== null;
  return (
    <Card withBorder padding="md" data-testid={`plan-${option.plan}`} aria-label={`${PLAN_TITLES[option.plan]} plan`}>
      <Stack gap="sm" h="100%">
        <Group justify="space-between" wrap="nowrap">
          <Title order={3}>{PLAN_TITLES[option.plan]}</Title>
          {option.change === 'current' ? <Badge color="green">Current plan</Badge> : null}
        </Group>
        <List size="sm" spacing={4}>
          {PLAN_LIMIT_NAMES.map((limit) => {
            const allowed = option.limits[limit];
            return (
              <List.Item key={limit}>
                {allowed === null
                  ? `Unlimited ${PLAN_LIMIT_LABELS[limit].many}`
                  : `${allowed} ${allowed === 1 ? PLAN_LIMIT_LABELS[limit].one : PLAN_LIMIT_LABELS[limit].many}`}
                {option.change === 'current' ? (
                  <Text span c="dimmed" size="xs">
                    {' '}
                    ({usage[limit]} in use)
                  </Text>
                ) : null}
              </List.Item>
            );
          })}
        </List>
        <Text size="xs" c="dimmed">
          Features: {option.features.join(', ')}
        </Text>
        {option.change === 'current' || !overview.canChange ? null : blocked ? (
          <Stack gap={4} data-testid={`plan-${option.plan}-blockers`}>
            <Text size="sm" fw={500} c="red.8">
              Before moving to {PLAN_TITLES[option.plan]}:
            </Text>
            {option.blockers.map((blocker) => (
              <Text key={blocker.limit} size="sm">
                {blocker.message}
              </Text>
            ))}
          </Stack>
        ) : (
          <Form method="post" style={{ marginTop: 'auto' }}>
            <input type="hidden" name="plan" value={option.plan} />
            <Stack gap="xs">
              {option.change === 'downgrade' ? (
                <Radio.Group
                  name="timing"
                  label="Takes effect"
                  value={timing}
                  onChange={(value) => setTiming(value === 'now' ? 'now' : 'period-end')}
                >
                  <Stack gap={4} mt={4}>
                    <Radio value="period-end" label="At the end of the billing period" />
                    <Radio value="now" label="Now (the difference is credited)" />
                  </Stack>
                </Radio.Group>
              ) : (
                <Text size="xs" c="dimmed">
                  Takes effect now; the difference for this period is charged.
                </Text>
              )}
              {option.needsApproval ? (
                <Text size="xs" c="orange.8" data-testid={`plan-${option.plan}-needs-approval`}>
                  Needs a platform admin&apos;s approval first, as signing up on this plan does.
                </Text>
              ) : null}
              <Button
                type="submit"
                variant={option.change === 'upgrade' ? 'filled' : 'default'}
                loading={submitting}
                disabled={busy}
                title={busy ? 'A plan change is pending: cancel it or wait until it is done.' : undefined}
              >
                {option.change === 'upgrade' ? 'Upgrade' : 'Downgrade'} to {PLAN_TITLES[option.plan]}
                {option.needsApproval ? ' (ask for approval)' : ''}
              </Button>
            </Stack>
          </Form>
        )}
      </Stack>
    </Card>
  );
}
