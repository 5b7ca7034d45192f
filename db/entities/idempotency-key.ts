import { EntitySchema } from 'typeorm';

/** The first response to a POST that carried an Idempotency-Key, replayed on repeats. */
export interface IdempotencyKey {
  /** Method and route, e.g. `POST /api/v1/tenants`: the same key may be used on different routes. */
  scope: string;
  key: string;
  /** SHA-256 of the request body: a repeat with a different body is refused. */
  requestHash: string;
  /** Null while the first request is still being handled. */
  responseStatus: number | null;
  responseBody: unknown;
  createdAt: Date;
}

export const IdempotencyKeyEntity = new EntitySchema<IdempotencyKey>({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  columns: {
    scope: { type: 'text', primary: true },
    key: { type: 'text', primary: true },
    requestHash: { type: 'text', name: 'request_hash' },
    responseStatus: { type: 'integer', name: 'response_status', nullable: true },
    responseBody: { type: 'jsonb', name: 'response_body', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
  },
});
