export type Visibility = 'private' | 'public';

export interface PutInput {
  /** Server-made key, e.g. `rooms/<roomId>/<uuid>.png`; nothing from the client decides it. */
  key: string;
  body: Buffer;
  contentType: string;
  visibility: Visibility;
}

export interface UrlOptions {
  visibility: Visibility;
  /** Lifetime of a signed URL, for private objects. */
  expiresInSec: number;
  /** Filename for Content-Disposition. */
  downloadName?: string;
  contentType?: string;
}

/** Where uploaded bytes live. Each driver is tested against the real thing or a stand-in of its API. */
export interface StorageDriver {
  readonly name: 'local' | 'cloudinary' | 's3';
  put(input: PutInput): Promise<void>;
  /** Deletes an object; deleting a missing one is not an error. */
  delete(key: string, visibility: Visibility, contentType?: string): Promise<void>;
  /** A URL a browser loads without headers: signed and expiring for private objects, permanent for public. */
  url(key: string, options: UrlOptions): Promise<string>;
}
