import type { RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../errors.js';

/**
 * One file in memory, at most maxBytes: memory per request is bounded, and a file over the limit is cut
 * off as it streams in (413) rather than read to the end.
 */
export function singleFileUpload(field: string, maxBytes: number): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    // Browsers send UTF-8 file names; multer's default (latin1) would garble them.
    defParamCharset: 'utf8',
    limits: {
      fileSize: maxBytes,
      files: 1,
      fields: 10,
      fieldSize: 32 * 1024,
      parts: 12,
      headerPairs: 100,
    },
  }).single(field);
  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') {
          return next(
            new AppError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`),
          );
        }
        const message =
          err.code === 'LIMIT_UNEXPECTED_FILE' || err.code === 'LIMIT_FILE_COUNT'
            ? `Send exactly one file, in the field "${field}"`
            : `Invalid multipart body: ${err.message}`;
        return next(new AppError('VALIDATION_ERROR', message));
      }
      // Anything else multer/busboy throws is about the body's framing, i.e. the client's input.
      next(new AppError('VALIDATION_ERROR', 'Malformed multipart body'));
    });
  };
}
