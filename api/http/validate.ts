// Validation at the API boundary: zod schemas for body, params and query, with failures
// turned into 422 problems that name each field.
import type { Request } from 'express';
import type { z } from 'zod';
import type { FieldError } from '../../contracts/problems.ts';
import { ProblemError } from './problem.ts';

export function toFieldErrors(error: z.ZodError, prefix: string[] = []): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: `Unknown field "${key}".` }));
    }
    return [{ path: base.join('.') || '(body)', message: issue.message }];
  });
}

function parse<S extends z.ZodType>(schema: S, value: unknown, prefix: string[]): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ProblemError('validation', 'Some fields are invalid; see `errors`.', {
    errors: toFieldErrors(result.error, prefix),
  });
}

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  if (req.body === undefined) {
    const type = req.get('content-type');
    if (type && !req.is('application/json')) {
      throw new ProblemError('unsupportedMediaType', `Send the body as application/json, not ${type}.`);
    }
  }
  return parse(schema, req.body ?? {}, []);
}

export function parseParams<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parse(schema, req.params, []);
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parse(schema, req.query, []);
}
