// What a request to the Temporal UI behind Atrium (/ops/temporal/…) does, from its method and
// path alone: a read, or a write and which one. Pure, so the allowlist is tested on its own
// (tests/unit/temporal-ui-requests.test.ts).
//
// The UI's own API is the Temporal frontend's HTTP API (grpc-gateway, `/api/v1/namespaces/…`),
// where every read is a GET except one: a workflow query, a POST that changes nothing. So the
// allowlist for operator-read is: GET and HEAD, and POST …/workflows/{id}/query/{name}.
// Everything else — cancel, terminate, signal, update, reset, start, batch operations, schedule
// changes, activity commands, namespace changes, and whatever the API adds later — is a write.

export type TemporalUiAccess = 'read' | 'write';

export interface TemporalUiRequest {
  access: TemporalUiAccess;
  /** What it does, for the audit log and refusals: `workflow.terminate`, `schedule.create`, `view`, … */
  operation: string;
  namespace?: string;
  workflowId?: string;
  scheduleId?: string;
}

export class InvalidTemporalUiPathError extends Error {}

const READ_METHODS = new Set(['GET', 'HEAD']);
const WORKFLOW_COMMANDS: Record<string, string> = {
  terminate: 'workflow.terminate',
  cancel: 'workflow.cancel',
  signal: 'workflow.signal',
  'signal-with-start': 'workflow.signal_with_start',
  update: 'workflow.update',
  reset: 'workflow.reset',
  'update-options': 'workflow.update_options',
  pause: 'workflow.pause',
  unpause: 'workflow.unpause',
  query: 'workflow.query',
};
const SCHEDULE_COMMANDS: Record<string, string> = {
  update: 'schedule.update',
  patch: 'schedule.patch',
};

/**
 * Decodes the path's segments (after the /ops/temporal prefix, without the query string).
 * Refuses dot segments, empty segments and backslashes, so the path the UI server routes is
 * the path classified here.
 */
export function pathSegments(rawPath: string): string[] {
  const parts = rawPath.replace(/^\//, '').split('/');
  // One trailing slash (`/ops/temporal/`) is the UI's start page, not an empty segment.
  if (parts.at(-1) === '') parts.pop();
  return parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw new InvalidTemporalUiPathError('a path segment is not valid percent-encoding');
    }
    if (decoded === '' || decoded === '.' || decoded === '..' || decoded.includes('\\'))
      throw new InvalidTemporalUiPathError('the path has empty, dot or backslash segments');
    return decoded;
  });
}

export function classifyTemporalUiRequest(method: string, rawPath: string): TemporalUiRequest {
  const verb = method.toUpperCase();
  const segments = pathSegments(rawPath);
  // `api/v1/…` is the UI server's API; anything else is the UI's pages and files.
  const api = segments[0] === 'api' && segments[1] === 'v1' ? segments.slice(2) : null;
  const named = api ? describe(verb, api) : { operation: READ_METHODS.has(verb) ? 'view' : 'other' };
  const isQuery = verb === 'POST' && named.operation === 'workflow.query' && api?.length === 6;
  return { access: READ_METHODS.has(verb) || isQuery ? 'read' : 'write', ...named };
}

/** Names the request after the Temporal HTTP API's routes. */
function describe(verb: string, api: string[]): Omit<TemporalUiRequest, 'access'> {
  const [first, namespace, collection, id, command] = api;
  if (first !== 'namespaces' || namespace === undefined)
    return { operation: READ_METHODS.has(verb) ? `read.${first ?? 'api'}` : `${first ?? 'api'}.${verb.toLowerCase()}` };
  if (READ_METHODS.has(verb)) return { operation: `read.${collection ?? 'namespace'}`, namespace };
  switch (collection) {
    case undefined:
      return { operation: 'namespace.register', namespace };
    case 'update':
      return { operation: 'namespace.update', namespace };
    case 'workflows':
      if (id === undefined) return { operation: 'workflow.other', namespace };
      if (command === undefined) return { operation: 'workflow.start', namespace, workflowId: id };
      return { operation: WORKFLOW_COMMANDS[command] ?? `workflow.${command}`, namespace, workflowId: id };
    case 'batch-operations':
      return { operation: command === 'stop' ? 'batch.stop' : 'batch.start', namespace };
    case 'schedules':
      if (id === undefined) return { operation: 'schedule.other', namespace };
      if (command === undefined)
        return { operation: verb === 'DELETE' ? 'schedule.delete' : 'schedule.create', namespace, scheduleId: id };
      return { operation: SCHEDULE_COMMANDS[command] ?? `schedule.${command}`, namespace, scheduleId: id };
    case 'activities':
      return { operation: `activity.${api.slice(3).join('.') || 'other'}`, namespace };
    default:
      return { operation: `${collection}.${verb.toLowerCase()}`, namespace };
  }
}
