import { Group, Loader, Text, Timeline } from '@mantine/core';
import type { ReactNode } from 'react';
import type { OperationStep, StepStatus } from '../../../../contracts/index.ts';
import { CheckIcon, CrossIcon, SkipIcon, UndoIcon } from '../icons.tsx';
import { formatDuration, Timestamp } from '../Timestamp.tsx';
import { StepStatusBadge, stepStatusColors } from './StatusBadges.tsx';

const bullets: Record<StepStatus, ReactNode> = {
  pending: null,
  running: <Loader size={12} color="white" />,
  completed: <CheckIcon size={14} />,
  failed: <CrossIcon size={14} />,
  skipped: <SkipIcon size={14} />,
  compensated: <UndoIcon size={14} />,
};

/** The operation's steps in order; every step the workflow has reached is drawn in its status color. */
export function OperationTimeline({ steps }: { steps: OperationStep[] }) {
  if (steps.length === 0) {
    // The workflow reports its steps once a worker runs it; until then there is nothing to draw.
    return (
      <Group gap="xs" data-testid="operation-steps-waiting">
        <Loader size="xs" />
        <Text size="sm" c="dimmed">
          Waiting for a worker to pick the operation up…
        </Text>
      </Group>
    );
  }
  const reached = steps.findLastIndex((step) => step.status !== 'pending');

  return (
    <Timeline active={reached} bulletSize={26} lineWidth={2} data-testid="operation-steps">
      {steps.map((step) => (
        <Timeline.Item
          key={step.name}
          title={step.title}
          bullet={bullets[step.status]}
          color={stepStatusColors[step.status]}
          data-testid="operation-step"
          data-step={step.name}
          data-status={step.status}
        >
          <Group gap="xs" mt={4}>
            <StepStatusBadge status={step.status} />
            <StepTimes step={step} />
            {step.attempt && step.attempt > 1 ? (
              <Text size="xs" c="orange">
                attempt {step.attempt}
              </Text>
            ) : null}
          </Group>
          {step.note && step.status === 'running' ? (
            <Text size="sm" c="blue" mt={4} data-testid="step-note">
              {step.note}
            </Text>
          ) : null}
          {step.error ? (
            // A running step's error is a retry in progress, not (yet) a failure; a skipped
            // step's is the reason it had nothing to do (e.g. no cluster configured).
            <Text
              size="sm"
              c={step.status === 'running' ? 'orange' : step.status === 'skipped' ? 'dimmed' : 'red'}
              mt={4}
              data-testid={step.status === 'skipped' ? 'step-skip-reason' : 'step-error'}
            >
              {step.status === 'skipped' ? `Skipped: ${step.error}` : step.error}
            </Text>
          ) : null}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function StepTimes({ step }: { step: OperationStep }) {
  if (!step.startedAt) return null;
  return (
    <Group gap={6}>
      <Timestamp value={step.startedAt} size="xs" c="dimmed" />
      {step.completedAt ? (
        <Text size="xs" c="dimmed">
          · took {formatDuration(step.startedAt, step.completedAt)}
        </Text>
      ) : null}
    </Group>
  );
}
