// A real stuck activity for the stuck-activities tests: the worker's kubeconfig points at a
// loopback port where nothing listens, so a suspension's workload step (scaleDownTenantWorkloads)
// fails with ClusterUnreachableError, which is retryable, and its retry policy has no maximum:
// it retries (1 s, 2 s, 4 s, … up to a minute apart) until someone acts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { temporal } from '@temporalio/proto';
import { request, uniqueSlug } from './api-client.ts';
import type { Platform } from './platform.ts';
import { waitFor } from './wait-for.ts';

export const STUCK_ACTIVITY_TYPE = 'scaleDownTenantWorkloads';

/** A port nothing listens on (taken and given back at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Worker settings: a cluster that cannot be reached, for the production environment's tenants. */
export async function unreachableClusterEnv(): Promise<Record<string, string>> {
  const port = await closedPort();
  const path = join(tmpdir(), `atrium-unreachable-${randomUUID()}.kubeconfig`);
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: unreachable
  cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: nobody
  user:
    token: not-a-real-token
contexts:
- name: unreachable
  context: { cluster: unreachable, user: nobody }
current-context: unreachable
`,
  );
  return { KUBECONFIG: path, CLUSTER_ENVIRONMENTS: 'production' };
}

export interface StuckSuspension {
  tenantId: string;
  slug: string;
  workflowId: string;
}

/** An active tenant written directly (provisioning would need the cluster), then suspended through the API. */
export async function startStuckSuspension(platform: Platform, prefix = 'stuck'): Promise<StuckSuspension> {
  const slug = uniqueSlug(prefix);
  const tenantId = randomUUID();
  await platform.database.query(
    `INSERT INTO tenants (id, slug, name, plan, status, owner_email) VALUES ($1, $2, $3, 'team', 'active', $4)`,
    [tenantId, slug, `Stuck ${slug}`, `owner@${slug}.test`],
  );
  const suspended = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/suspend`, {
    headers: platform.admin.headers,
    json: { reason: 'Stuck activity test' },
  });
  assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
  return { tenantId, slug, workflowId: suspended.body.operation.id as string };
}

export type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/** The workflow's pending workload step, once it is on attempt `attempt` or later. */
export function waitForAttempt(
  platform: Platform,
  workflowId: string,
  attempt: number,
  timeoutMs = 60_000,
): Promise<PendingActivity> {
  return waitFor(
    `${STUCK_ACTIVITY_TYPE} of ${workflowId} to reach attempt ${attempt}`,
    async () => {
      const description = await platform.temporal.workflow.getHandle(workflowId).describe();
      const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === STUCK_ACTIVITY_TYPE);
      return pending && (pending.attempt ?? 0) >= attempt ? pending : false;
    },
    timeoutMs,
  );
}

/** Operators for the tests: one of each role, and a signed-in user without one. */
export async function grantOperatorRole(platform: Platform, userId: string, role: 'read' | 'write' | null) {
  await platform.database.query(`UPDATE users SET operator_role = $2 WHERE id = $1`, [userId, role]);
}
