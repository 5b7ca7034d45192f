// disconnectConnector: revokes a connection's tokens at its provider the way the catalog says
// (RFC 7009, the provider's own call, or nothing to call), then deletes them from the secret
// store and marks the connection disconnected. A provider that cannot be reached is retried for a
// while; one that refuses for good (the grant is already gone) does not keep the tokens alive:
// the revoke step records why and the tokens are deleted anyway. First it stops the connection's
// maintenance, so no refresh races the revocation.
import {
  ActivityFailure,
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { DisconnectConnectorInput, DisconnectConnectorResult, DisconnectConnectorStep } from './contract.ts';
import {
  DISCONNECT_CONNECTOR_KIND,
  DISCONNECT_CONNECTOR_STEPS,
  maintainConnectionWorkflowId,
  stopMaintenanceSignal,
} from './contract.ts';

/** Marks disconnects that stop the connection's maintenance before revoking. */
export const DISCONNECT_STOPS_MAINTENANCE_PATCH = 'disconnect-stops-maintenance';

export async function disconnectConnector(input: DisconnectConnectorInput): Promise<DisconnectConnectorResult> {
  const { tenantId, slug, connectionId, requestedBy: actor, timings } = input;
  const activities = proxyActivities<ConnectorActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
  });
  const tracker = new StepTracker<DisconnectConnectorStep>(
    DISCONNECT_CONNECTOR_KIND,
    tenantId,
    DISCONNECT_CONNECTOR_STEPS,
  );

  if (patched(DISCONNECT_STOPS_MAINTENANCE_PATCH)) {
    // No refresh after this: the tokens about to be revoked are the last ones.
    await getExternalWorkflowHandle(maintainConnectionWorkflowId(slug, connectionId))
      .signal(stopMaintenanceSignal, { reason: 'disconnected' })
      .catch((error: unknown) => log.info('No connection maintenance to stop', { connectionId, error: String(error) }));
  }

  let revocation = 'none';
  try {
    const revoked = await tracker.run('revoke', () =>
      activities.revokeConnectionTokens({ tenantId, slug, connectionId, actor }),
    );
    revocation = revoked.how;
    if (revoked.skipped) tracker.skip('revoke', revoked.skipped);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Deleting the tokens matters more than the provider's answer: go on, and say so.
    revocation = `failed: ${describeFailure(error)}`;
  }
  try {
    await tracker.run('delete', () =>
      activities.deleteConnectionTokens({ tenantId, slug, connectionId, revocation, actor }),
    );
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const message = `Disconnecting ${connectionId} stopped: ${describeFailure(error)}`;
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'ConnectorDisconnectFailed', tracker.snapshot());
  }
  tracker.setPhase('completed');
  log.info('Connector disconnected', { connectionId, revocation });
  return { connectionId, revocation, progress: tracker.snapshot() };
}
