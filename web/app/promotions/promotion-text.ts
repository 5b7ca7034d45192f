// How the releases and promotions pages say things: a promotion's status, an approval stage,
// a duration, an image's digest. Pure (no server code, no React), shared by the releases page,
// the environments page and the approvals queue.
import type { PromotionStatus } from '../../../contracts/promotions.ts';

type Stage = {
  name: string;
  approvers: { kind: 'role'; role: string; count: number } | { kind: 'group'; group: string; count: number };
  expiresAfterMs: number;
  hours?: { fromHour: number; toHour: number } | undefined;
};

/** Still running: a new promotion into the same environment waits until it ends. */
export const OPEN_PROMOTION_STATUSES: readonly PromotionStatus[] = [
  'requested',
  'awaiting-approval',
  'held',
  'deploying',
];

export const isOpenPromotion = (status: PromotionStatus) => OPEN_PROMOTION_STATUSES.includes(status);

export const PROMOTION_STATUS_COLORS: Record<PromotionStatus, string> = {
  requested: 'blue',
  'awaiting-approval': 'yellow',
  held: 'orange',
  deploying: 'blue',
  succeeded: 'green',
  'rolled-back': 'orange',
  failed: 'red',
  rejected: 'red',
};

export const PROMOTION_STATUS_LABELS: Record<PromotionStatus, string> = {
  requested: 'requested',
  'awaiting-approval': 'awaiting approval',
  held: 'held',
  deploying: 'deploying',
  succeeded: 'succeeded',
  'rolled-back': 'rolled back',
  failed: 'failed',
  rejected: 'rejected',
};

/** "90 minutes", "2 hours 30 minutes", "1 day 2 hours", "30 seconds": a duration as people say it. */
export function durationText(ms: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  const both = (first: string, rest: number, unit: string) => (rest === 0 ? first : `${first} ${plural(rest, unit)}`);
  if (ms < 60_000) return plural(Math.max(1, Math.round(ms / 1000)), 'second');
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60 || (minutes < 120 && minutes % 60 !== 0)) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return both(plural(hours, 'hour'), minutes % 60, 'minute');
  return both(plural(Math.floor(hours / 24), 'day'), hours % 24, 'hour');
}

/** "1 admin (or owners)", "2 members of the group “release-managers”". */
export function approversText(approvers: Stage['approvers']): string {
  const { count } = approvers;
  if (approvers.kind === 'group')
    return `${count} ${count === 1 ? 'member' : 'members'} of the group “${approvers.group}”`;
  const role = approvers.role;
  if (role === 'platform-admin') return `${count} Atrium platform ${count === 1 ? 'admin' : 'admins'}`;
  const noun = `${count} ${role}${count === 1 ? '' : 's'}`;
  // A role counts for itself and anything more powerful (workflows/approvals/policy.ts).
  const above = { owner: '', admin: ' (or owners)', developer: ' (or admins, owners)', viewer: ' (or any member)' }[
    role
  ];
  return `${noun}${above ?? ''}`;
}

/**
 * One stage of an approval in words, with what happens when it expires: the next stage takes
 * over, or (the last stage) the promotion is rejected.
 */
export function stageText(stage: Stage, next: Stage | undefined): string {
  const hours = stage.hours ? `, deciding between ${stage.hours.fromHour}:00 and ${stage.hours.toHour}:00 UTC` : '';
  const then = next
    ? `if not approved within ${durationText(stage.expiresAfterMs)}, it escalates to “${next.name}”`
    : `if not approved within ${durationText(stage.expiresAfterMs)}, the promotion is rejected`;
  return `${approversText(stage.approvers)} must approve${hours}; ${then}.`;
}

/** `registry/app@sha256:0123456789ab…` → the repository and a 12-digit digest. */
export function shortImage(image: string): { name: string; digest: string; short: string } {
  const at = image.indexOf('@sha256:');
  if (at < 0) return { name: image, digest: '', short: image };
  const name = image.slice(0, at);
  const digest = image.slice(at + 1);
  return { name, digest, short: `${name}@${digest.slice(0, 'sha256:'.length + 12)}…` };
}
