// Reads a Server-Sent Events stream to its end, as a browser's EventSource would see it.
export interface ServerSentEvent {
  event: string;
  data: string;
}

export async function readEventStream(
  url: string,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerSentEvent[]> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    headers: { accept: 'text/event-stream', ...options.headers },
  });
  if (!response.ok || !response.body) throw new Error(`event stream ${url} answered ${response.status}`);
  const events: ServerSentEvent[] = [];
  let buffer = '';
  for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const event = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      if (event.data) events.push(event);
    }
  }
  return events;
}
