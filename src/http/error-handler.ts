import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, errorBody, toAppError } from '../errors.js';
import { safeError, type Logger } from '../logger.js';
import { isLoopback } from './loopback.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** body-parser and multer signal with their own shapes; translate them before the generic mapping. */
function fromFrameworkError(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null || err instanceof AppError) return null;
  const e = err as BodyParserError;
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError('VALIDATION_ERROR', 'Malformed JSON body');
    case 'entity.too.large':
      return new AppError(
        'PAYLOAD_TOO_LARGE',
        `Request body is larger than ${e.limit ?? 'the limit'} bytes`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding');
    case 'request.aborted':
      return new AppError('VALIDATION_ERROR', 'Request aborted');
    default:
      if (
        typeof e.status === 'number' &&
        e.status >= 400 &&
        e.status < 500 &&
        err instanceof Error
      ) {
        return new AppError('VALIDATION_ERROR', 'Bad request');
      }
      return null;
  }
}

/**
 * The one place where anything thrown in a route becomes the SPEC.md error shape, and where a failed
 * request is logged: the error's code and PostgreSQL's fields, never the query or its parameters.
 * With `exposeStack` (development, no proxy) a 5xx carries its stack, but only to a caller on this
 * machine: a development server reachable from the network shows strangers nothing more.
 */
export function errorHandler(log: Logger, exposeStack: boolean): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = fromFrameworkError(err) ?? toAppError(err);
    if (appError.status >= 500) {
      (req.log ?? log).error(
        { err: safeError(appError.cause ?? appError), code: appError.code },
        'request failed',
      );
    }
    if (appError.retryAfter !== undefined)
      res.setHeader('Retry-After', String(appError.retryAfter));
    if (res.headersSent) return;
    const withStack = exposeStack && appError.status >= 500 && isLoopback(req.socket.remoteAddress);
    res.status(appError.status).json(errorBody(appError, withStack));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `Route ${req.method} ${req.originalUrl.split('?')[0]} not found`));
};
