import type { Problem } from '../../../contracts/index.ts';

/** A problem in one sentence for a person: the detail, else the field messages, else the title. */
export function formatProblem(problem: Problem): string {
  if (problem.errors?.length) return problem.errors.map((error) => error.message).join(' ');
  return problem.detail ?? problem.title;
}
