import { Badge } from '@mantine/core';
import type { MantineSize } from '@mantine/core';
import type { OperationStatus, StepStatus } from '../../../../contracts/index.ts';

export const operationStatusColors: Record<OperationStatus, string> = {
  running: 'blue',
  completed: 'green',
  failed: 'red',
  cancelled: 'gray',
  terminated: 'orange',
  timed_out: 'orange',
};

export const stepStatusColors: Record<StepStatus, string> = {
  pending: 'gray',
  running: 'blue',
  completed: 'green',
  failed: 'red',
  skipped: 'gray',
  compensated: 'orange',
};

interface OperationStatusBadgeProps {
  status: OperationStatus;
  size?: MantineSize;
  testId?: string;
}

export function OperationStatusBadge({ status, size, testId }: OperationStatusBadgeProps) {
  return (
    <Badge color={operationStatusColors[status]} variant="light" size={size} data-testid={testId} data-status={status}>
      {status.replace('_', ' ')}
    </Badge>
  );
}

export function StepStatusBadge({ status }: { status: StepStatus }) {
  return (
    <Badge color={stepStatusColors[status]} variant="outline" size="sm" data-status={status}>
      {status}
    </Badge>
  );
}
