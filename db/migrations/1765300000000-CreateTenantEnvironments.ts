import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_POLICY = `
  USING (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )
  WITH CHECK (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )`;

/** The environment name pattern of config/cluster.ts (`tenant-<slug>-<environment>` stays a DNS label). */
const ENVIRONMENT_NAME = `'^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$'`;

/**
 * Environments as tenant data (issue 14, docs/decisions/0019): one row per environment of a
 * tenant, in the tenant's order (`position`), with its configuration (variables, references to
 * tenant secrets by name, replicas, resource limits) and its protection (who may deploy, soak
 * time in the previous environment, freeze windows), both jsonb validated at the API
 * (contracts/environments.ts). Each has the namespace `tenant-<slug>-<name>`, made and removed
 * by the environments workflows; `status` follows them:
 *
 *   creating → ready | failed;  ready → deleting → (deleted_at set)
 *
 * A deleted environment keeps its row (`deleted_at`), and its name may be used again at once.
 * Tenant-owned under row-level security; the application role may not DELETE.
 *
 * Adoption: each tenant that is neither failed nor offboarded gets a row per namespace
 * provisioning recorded for it (tenant_resources.cluster_namespaces, in the order it made
 * them), or `production` when none is recorded (no cluster was configured).
 */
export class CreateTenantEnvironments1765300000000 implements MigrationInterface {
  name = 'CreateTenantEnvironments1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_environments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (name ~ ${ENVIRONMENT_NAME}),
        position integer NOT NULL CHECK (position > 0),
        status text NOT NULL DEFAULT 'creating' CHECK (status IN ('creating', 'ready', 'failed', 'deleting', 'deleted')),
        status_detail text,
        configuration jsonb NOT NULL DEFAULT '{"variables": {}, "secretRefs": [], "replicas": 1, "resources": null}',
        protection jsonb NOT NULL DEFAULT '{"deployRoles": ["owner", "admin", "developer"], "soakMinutes": 0, "freezeWindows": []}',
        operation_id text,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
      )`);
    // One live environment per name; a deleted one's name is free again.
    await queryRunner.query(
      `CREATE UNIQUE INDEX tenant_environments_live_name_idx ON tenant_environments (tenant_id, name)
       WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX tenant_environments_order_idx ON tenant_environments (tenant_id, position) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE tenant_environments ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY tenant_environments_tenant_isolation ON tenant_environments TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_environments TO atrium_app`);

    // Adoption of the tenants that exist: the namespaces provisioning recorded, in its order.
    await queryRunner.query(`
      WITH recorded AS (
        SELECT t.id AS tenant_id,
               substr(u.namespace, length('tenant-' || t.slug || '-') + 1) AS name,
               u.ord
          FROM tenants t
          JOIN tenant_resources r ON r.tenant_id = t.id
          CROSS JOIN LATERAL unnest(r.cluster_namespaces) WITH ORDINALITY AS u(namespace, ord)
         WHERE t.status NOT IN ('failed', 'offboarded')
           AND left(u.namespace, length('tenant-' || t.slug || '-')) = 'tenant-' || t.slug || '-'
      ), adopted AS (
        SELECT tenant_id, name, row_number() OVER (PARTITION BY tenant_id ORDER BY min(ord)) AS position
          FROM recorded
         WHERE name ~ ${ENVIRONMENT_NAME}
         GROUP BY tenant_id, name
      )
      INSERT INTO tenant_environments (tenant_id, name, position, status, status_detail)
      SELECT tenant_id, name, position, 'ready', 'adopted from the namespaces provisioning recorded' FROM adopted
      UNION ALL
      SELECT t.id, 'production', 1, 'ready', 'adopted: no namespace was recorded'
        FROM tenants t
       WHERE t.status NOT IN ('failed', 'offboarded')
         AND NOT EXISTS (SELECT 1 FROM adopted a WHERE a.tenant_id = t.id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_environments`);
  }
}
