import type { Response } from 'express';

export interface PageInfo {
  nextCursor: string | null;
  limit: number;
  /** Catch-up by revision: the revision to ask from next time. */
  rev?: number;
}

/** `{ success: true, data }` with the given status. */
export function sendData(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ success: true, data });
}

/** A list: `{ success: true, data: [...], page: { nextCursor, limit } }`. */
export function sendPage(res: Response, data: unknown[], page: PageInfo, status = 200): void {
  res.status(status).json({ success: true, data, page });
}
