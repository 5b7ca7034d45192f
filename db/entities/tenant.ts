import { EntitySchema } from 'typeorm';
import type { ApprovalStatus, TenantPlan, TenantStatus } from '../../contracts/tenants.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  status: TenantStatus;
  ownerEmail: string;
  /** The tenant's own Postgres schema, set once it exists. */
  schemaName: string | null;
  failureReason: string | null;
  /** Null when the plan needs no approval; else pending until a platform admin decides. */
  approvalStatus: ApprovalStatus | null;
  approvalReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const TenantEntity = new EntitySchema<Tenant>({
  name: 'Tenant',
  tableName: 'tenants',
  columns: {
    id: { type: 'uuid', primary: true },
    slug: { type: 'text', unique: true },
    name: { type: 'text' },
    plan: { type: 'text' },
    status: { type: 'text' },
    ownerEmail: { type: 'text', name: 'owner_email' },
    schemaName: { type: 'text', name: 'schema_name', nullable: true },
    failureReason: { type: 'text', name: 'failure_reason', nullable: true },
    approvalStatus: { type: 'text', name: 'approval_status', nullable: true },
    approvalReason: { type: 'text', name: 'approval_reason', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
