// api_processes: what each running API process reports about the access-token signing keys it
// holds (docs/decisions/0030). Platform data, read and written in the platform scope.
import type { EntityManager } from 'typeorm';

export interface ApiProcessReport {
  id: string;
  hostname: string;
  pid: number;
  keyringVersion: number;
  signingKid: string;
  kids: string[];
}

export interface ApiProcessRow {
  id: string;
  hostname: string;
  pid: number;
  keyring_version: number;
  signing_kid: string;
  kids: string[];
  last_seen_at: Date;
}

export async function reportApiProcess(db: EntityManager, report: ApiProcessReport): Promise<void> {
  await db.query(
    `INSERT INTO api_processes (id, hostname, pid, keyring_version, signing_kid, kids)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), keyring_version = EXCLUDED.keyring_version,
       signing_kid = EXCLUDED.signing_kid, kids = EXCLUDED.kids`,
    [report.id, report.hostname, report.pid, report.keyringVersion, report.signingKid, report.kids],
  );
}

export async function removeApiProcess(db: EntityManager, id: string): Promise<void> {
  await db.query(`DELETE FROM api_processes WHERE id = $1`, [id]);
}

/** Processes seen within `liveWithinMs` (by the database's clock), oldest first. */
export async function listLiveApiProcesses(db: EntityManager, liveWithinMs: number): Promise<ApiProcessRow[]> {
  return db.query<ApiProcessRow[]>(
    `SELECT id, hostname, pid, keyring_version, signing_kid, kids, last_seen_at FROM api_processes
     WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000)
     ORDER BY started_at, id`,
    [liveWithinMs],
  );
}

/** Forgets processes not seen for a long time (crashed ones never delete their row). */
export async function forgetGoneApiProcesses(db: EntityManager, goneForMs: number): Promise<void> {
  await db.query(
    `DELETE FROM api_processes WHERE last_seen_at < now() - make_interval(secs => $1::double precision / 1000)`,
    [goneForMs],
  );
}
