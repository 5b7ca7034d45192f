import { EntitySchema } from 'typeorm';

/** A person who can sign in. Platform admins are Atrium's own staff. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  /** argon2id hash (PHC string). */
  passwordHash: string;
  isPlatformAdmin: boolean;
  /** Access to the Temporal UI behind Atrium (/ops/temporal/). */
  operatorRole: 'read' | 'write' | null;
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    email: { type: 'text' },
    displayName: { type: 'text', name: 'display_name' },
    passwordHash: { type: 'text', name: 'password_hash' },
    isPlatformAdmin: { type: 'boolean', name: 'is_platform_admin', default: false },
    operatorRole: { type: 'text', name: 'operator_role', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
