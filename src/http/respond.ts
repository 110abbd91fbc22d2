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

/** Resolves once the response can take more, or has closed (a client gone never drains). */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * A JSON body written as it is produced (a large export) rather than built whole: the next chunk is
 * asked for only once the connection has taken the previous one, so memory stays bounded whatever the
 * size. A client that goes away stops the production. A failure once the first byte is out can no
 * longer become an error body: the connection is cut (the client sees a truncated download, never a
 * document that looks whole) and the error rethrown to be logged.
 */
export async function sendJsonStream(
  res: Response,
  chunks: AsyncIterable<string>,
  headers: Record<string, string> = {},
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await writable(res);
    }
    res.end();
  } catch (err) {
    res.destroy();
    throw err;
  }
}
