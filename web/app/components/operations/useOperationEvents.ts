import { useEffect, useState } from 'react';
import type { Operation } from '../../../../contracts/index.ts';

/** How long to wait before reopening a stream the browser gave up on (it retries the rest itself). */
const reopenDelayMs = 3000;

export interface LiveOperation {
  operation: Operation;
  /** True while the stream is down and being retried; the page shows it. */
  reconnecting: boolean;
}

/**
 * Follows an operation through its event stream (relayed by the portal): each `progress` event carries
 * the whole operation, `end` means it is closed and the stream can go. The server
 * render supplies the starting state; an operation already closed needs no stream.
 */
export function useOperationEvents(initial: Operation): LiveOperation {
  const [operation, setOperation] = useState(initial);
  const [reconnecting, setReconnecting] = useState(false);
  const { id } = initial;
  const closedAtLoad = initial.status !== 'running';

  useEffect(() => {
    if (closedAtLoad) return;
    let source: EventSource | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;

    const open = () => {
      // The portal's own stream route, which signs the request in to the API (operation-events.ts).
      source = new EventSource(`/operations/${encodeURIComponent(id)}/events`);
      source.addEventListener('open', () => setReconnecting(false));
      source.addEventListener('progress', (event: MessageEvent<string>) => {
        setOperation(JSON.parse(event.data) as Operation);
        setReconnecting(false);
      });
      source.addEventListener('end', () => {
        source?.close();
        setReconnecting(false);
      });
      source.addEventListener('error', () => {
        setReconnecting(true);
        // CONNECTING: the browser is already retrying. CLOSED: it gave up (say a 502), so we reopen.
        if (source?.readyState === EventSource.CLOSED) reopenTimer = setTimeout(open, reopenDelayMs);
      });
    };

    open();
    return () => {
      clearTimeout(reopenTimer);
      source?.close();
    };
  }, [id, closedAtLoad]);

  return { operation, reconnecting };
}
