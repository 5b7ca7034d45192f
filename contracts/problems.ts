// RFC 9457 problem details: the body of every error the API answers with
// (application/problem+json). `type` is `urn:atrium:problem:<slug>`; clients switch on it.
import { z } from 'zod';

/** One invalid field: `path` is dotted (`owner.email`), or the header/param name. */
export const FieldError = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

export const Problem = z
  .object({
    type: z.string().meta({ example: 'urn:atrium:problem:validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(FieldError).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });
export type Problem = z.infer<typeof Problem>;

export function problemTypeUri(slug: string): string {
  return `urn:atrium:problem:${slug}`;
}
