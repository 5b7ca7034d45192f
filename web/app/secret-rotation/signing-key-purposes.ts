// What the signing-keys page says about each keyring, shared by its loader and its components.
import type { SigningKeyPolicy } from '../../../contracts/index.ts';

export type SigningKeyPurpose = SigningKeyPolicy['purpose'];

export const SIGNING_KEY_PURPOSES = ['access-tokens', 'licenses'] as const satisfies readonly SigningKeyPurpose[];

export function isSigningKeyPurpose(value: string): value is SigningKeyPurpose {
  return (SIGNING_KEY_PURPOSES as readonly string[]).includes(value);
}

export const PURPOSE_TITLE: Record<SigningKeyPurpose, string> = {
  'access-tokens': 'Access tokens',
  licenses: 'Licenses',
};

/** The policy form's units. */
export const UNIT_SECONDS = { hours: 3_600, days: 86_400 } as const;
export type PolicyUnit = keyof typeof UNIT_SECONDS;

/** A policy's interval as the form shows it: in days when whole days, else in hours (rounded up). */
export function asFormInterval(everySeconds: number): { every: number; unit: PolicyUnit } {
  if (everySeconds % UNIT_SECONDS.days === 0) return { every: everySeconds / UNIT_SECONDS.days, unit: 'days' };
  return { every: Math.ceil(everySeconds / UNIT_SECONDS.hours), unit: 'hours' };
}

/** "30 days", "12 hours", "90 seconds": the interval in the largest unit it is a whole number of. */
export function describeSeconds(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  for (const [name, size] of units)
    if (seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  return `${seconds} seconds`;
}
