// The pinned baseline of the reads benchmark: what a tenant-scoped read costs with no
// framework around it. express + a pg Pool of 10 as the runtime role (row-level security
// applies), and per request the same SQL as the API in one transaction with set_config,
// answering the same JSON shape. No middleware, no auth, no logging: the tenant's id is
// given at start (BARE_TENANT_ID). Run as a child process by bench/tenant-reads.ts:
//   DATABASE_URL=… BARE_TENANT_ID=… BARE_TENANT_SLUG=… node bench/bare-endpoint.ts
// It prints {"url": "http://127.0.0.1:<port>"} when listening.
import express from 'express';
import pg from 'pg';

const databaseUrl = process.env.DATABASE_URL;
const tenantId = process.env.BARE_TENANT_ID;
const tenantSlug = process.env.BARE_TENANT_SLUG;
if (!databaseUrl || !tenantId || !tenantSlug)
  throw new Error('DATABASE_URL, BARE_TENANT_ID and BARE_TENANT_SLUG are required');

const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

async function inTenantTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('atrium.tenant_id', $1, true)`, [tenantId]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const app = express();

app.get('/tenants/:slug/members', async (req, res) => {
  if (req.params.slug !== tenantSlug) return void res.status(404).end();
  const rows = await inTenantTransaction(async (client) => {
    const result = await client.query<{
      user_id: string;
      email: string;
      display_name: string;
      role: string;
      created_at: Date;
    }>(
      `SELECT m.user_id, u.email, u.display_name, m.role, m.created_at
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.tenant_id = $1 ORDER BY m.created_at, u.email`,
      [tenantId],
    );
    return result.rows;
  });
  res.json({
    items: rows.map((m) => ({
      userId: m.user_id,
      email: m.email,
      displayName: m.display_name,
      role: m.role,
      joinedAt: m.created_at.toISOString(),
    })),
  });
});

app.get('/tenants/:slug', async (req, res) => {
  if (req.params.slug !== tenantSlug) return void res.status(404).end();
  const tenant = await inTenantTransaction(async (client) => {
    const result = await client.query<{
      id: string;
      slug: string;
      name: string;
      plan: string;
      status: string;
      failure_reason: string | null;
      approval_status: string | null;
      created_at: Date;
      updated_at: Date;
    }>(
      `SELECT id, slug, name, plan, status, failure_reason, approval_status, created_at, updated_at
       FROM tenants WHERE slug = $1`,
      [tenantSlug],
    );
    return result.rows[0];
  });
  if (!tenant) return void res.status(404).end();
  res.json({
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    plan: tenant.plan,
    status: tenant.status,
    failureReason: tenant.failure_reason,
    approvalStatus: tenant.approval_status,
    createdAt: tenant.created_at.toISOString(),
    updatedAt: tenant.updated_at.toISOString(),
  });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end();
});
