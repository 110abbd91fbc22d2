import type { z } from 'zod';
import { validationError, type ErrorDetail } from '../errors.js';

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Parses untrusted input with a schema or throws VALIDATION_ERROR listing every problem. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'request',
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(`Invalid ${what}`, zodDetails(result.error));
  return result.data;
}
