// The connectors family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { connectConnector } from './connect-connector.ts';
export { disconnectConnector } from './disconnect-connector.ts';
export { maintainConnection } from './maintain-connection.ts';
export { syncConnection } from './sync-connection.ts';
