// Starts connectConnector and disconnectConnector. Idempotent: the workflow ID names the tenant
// and the connection, so a repeated request finds the running workflow ("already started" for the
// same tenant is success). Both carry the ConnectionId search attribute, so operators find every
// operation of one connection with `ConnectionId="<uuid>"`.
import type { connectConnector } from '../../workflows/connectors/connect-connector.ts';
import type { disconnectConnector } from '../../workflows/connectors/disconnect-connector.ts';
import type { ConnectConnectorInput, DisconnectConnectorInput } from '../../workflows/connectors/contract.ts';
import {
  CONNECT_CONNECTOR_KIND,
  connectConnectorWorkflowId,
  DISCONNECT_CONNECTOR_KIND,
  disconnectConnectorWorkflowId,
} from '../../workflows/connectors/contract.ts';
import { ConnectionIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startConnect(
  options: StarterOptions,
  input: Omit<ConnectConnectorInput, 'timings'>,
  { reconnect = false }: { reconnect?: boolean } = {},
): Promise<StartResult> {
  return startOperation(options, {
    kind: CONNECT_CONNECTOR_KIND,
    workflowId: connectConnectorWorkflowId(input.slug, input.connectionId),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof connectConnector>,
    // A reconnect starts the connection's connect again (the earlier run has closed).
    reuseClosedIds: reconnect,
    searchAttributes: [{ key: ConnectionIdSearchAttribute, value: input.connectionId }],
  });
}

export function startDisconnect(
  options: StarterOptions,
  input: Omit<DisconnectConnectorInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    kind: DISCONNECT_CONNECTOR_KIND,
    workflowId: disconnectConnectorWorkflowId(input.slug, input.connectionId),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof disconnectConnector>,
    // A disconnect that was terminated half-way may be asked for again.
    reuseClosedIds: true,
    searchAttributes: [{ key: ConnectionIdSearchAttribute, value: input.connectionId }],
  });
}
