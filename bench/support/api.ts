// Calling the API under measurement from a benchmark's set-up (not from its measured loop).
import { setTimeout as sleep } from 'node:timers/promises';

/** A JSON request with a bearer token; anything but a 2xx throws with the answer. */
export async function request(baseUrl: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** Waits for an operation (provisioning in set-ups) to complete; throws if it ends otherwise or takes 2 minutes. */
export async function waitForOperation(baseUrl: string, token: string, id: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const view = (await request(baseUrl, 'GET', `/api/v1/operations/${encodeURIComponent(id)}`, token)) as {
      status: string;
    };
    if (view.status === 'completed') return;
    // The whole view says where it stopped (its steps, the last failure of a retried activity).
    if (view.status !== 'running') throw new Error(`operation ${id} ended ${view.status}: ${JSON.stringify(view)}`);
    if (Date.now() > deadline) throw new Error(`operation ${id} did not finish in 120 s: ${JSON.stringify(view)}`);
    await sleep(250);
  }
}
