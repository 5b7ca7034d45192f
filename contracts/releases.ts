// Releases (issue 14, docs/decisions/0023): what a tenant promotes through its environments. A
// release names its image by digest (`name@sha256:<64 hex>`), so what was approved is what runs;
// it is numbered per tenant and never changes once created.
import { z } from 'zod';
import { TenantPath } from './common.ts';

/**
 * An image reference pinned by digest: a repository name (lowercase path components, an optional
 * registry host with port, an optional tag) then `@sha256:` and 64 lowercase hex digits.
 */
export const IMAGE_BY_DIGEST_PATTERN =
  /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/;

export const imageByDigest = z
  .string()
  .trim()
  .min(1, { error: 'Enter the image.', abort: true })
  .max(512, { error: 'Use at most 512 characters.', abort: true })
  .regex(
    IMAGE_BY_DIGEST_PATTERN,
    'Name the image by digest: name@sha256:<64 lowercase hex digits> (a tag alone could move).',
  );

export const CreateReleaseRequest = z
  .strictObject({
    image: imageByDigest,
    configurationVersion: z.string().trim().min(1).max(100).optional(),
    notes: z.string().max(4000, 'Use at most 4,000 characters.').optional(),
  })
  .meta({ id: 'CreateReleaseRequest' });
export type CreateReleaseRequest = z.infer<typeof CreateReleaseRequest>;

export const Release = z
  .object({
    number: z.number().int().positive(),
    image: z.string(),
    configurationVersion: z.string().nullable(),
    notes: z.string(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Release' });
export type Release = z.infer<typeof Release>;

export const ReleaseList = z.object({ items: z.array(Release) }).meta({ id: 'ReleaseList' });
export type ReleaseList = z.infer<typeof ReleaseList>;

export const ReleasePath = TenantPath.extend({
  number: z.coerce.number().int('Use a release number.').positive('Use a release number.'),
});
