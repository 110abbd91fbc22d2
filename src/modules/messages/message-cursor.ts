import { validationError } from '../../errors.js';
import { decodeSeqCursor } from '../../http/cursor.js';

/**
 * A position in a room's history: the opaque cursor from `page.nextCursor`, or a bare seq number
 * (what a client that tracks `seq` has at hand when it catches up).
 */
export function parseSeqCursor(value: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (value === '') throw validationError('Invalid cursor');
  return decodeSeqCursor('s', value);
}
