import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { v2 as cloudinary, type UploadApiOptions } from 'cloudinary';
import type { Config } from '../../../config/config.js';
import type { StorageDriver, Visibility } from './storage.js';

export type ResourceType = 'image' | 'video' | 'raw';

const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png', 'gif', 'webp']);
const VIDEO_EXTS = new Set(['mp4', 'webm', 'mov']);

function extensionOf(key: string): string {
  const last = key.split('/').pop() ?? '';
  const dot = last.lastIndexOf('.');
  return dot > 0 ? last.slice(dot + 1).toLowerCase() : '';
}

/**
 * Cloudinary files images and videos under resource types of their own (it can transform them) and
 * everything else as `raw`. The content type decides; the key's extension stands in when a caller
 * has none (a delete from an old row, say).
 */
export function resourceTypeOf(contentType: string | undefined, key: string): ResourceType {
  if (contentType) {
    if (contentType.startsWith('image/')) return 'image';
    if (contentType.startsWith('video/')) return 'video';
    return 'raw';
  }
  const ext = extensionOf(key);
  if (IMAGE_EXTS.has(ext)) return 'image';
  if (VIDEO_EXTS.has(ext)) return 'video';
  return 'raw';
}

/**
 * Image and video public ids carry no extension (Cloudinary keeps the format apart and appends it to
 * delivery URLs); raw ones keep it, since a raw asset has no format of its own.
 */
export function publicIdOf(
  key: string,
  resourceType: ResourceType,
): { publicId: string; format?: string } {
  if (resourceType === 'raw') return { publicId: key };
  const ext = extensionOf(key);
  return ext ? { publicId: key.slice(0, -(ext.length + 1)), format: ext } : { publicId: key };
}

/** `private` keeps the original behind signed URLs; `upload` is Cloudinary's public delivery type. */
const deliveryType = (visibility: Visibility) => (visibility === 'private' ? 'private' : 'upload');

interface CloudinaryError {
  message?: string;
  http_code?: number;
}

function toError(action: string, err: unknown): Error {
  if (err instanceof Error) return err;
  const { message, http_code } = (err ?? {}) as CloudinaryError;
  return new Error(
    `cloudinary ${action} failed: ${message ?? 'unknown error'} (${http_code ?? '?'})`,
  );
}

/**
 * Where public delivery URLs point. Against Cloudinary itself (CLOUDINARY_API_URL unset, or a regional
 * *.cloudinary.com API host) that is the SDK's own CDN host. Any other API host is a stand-in or a
 * proxy that has no separate CDN, so delivery goes to the same origin: `<origin>/<cloud>/...`.
 */
function deliveryOptions(apiUrl: URL | undefined): Record<string, unknown> {
  if (!apiUrl || /(^|\.)cloudinary\.com$/i.test(apiUrl.hostname)) return { secure: true };
  // The SDK builds `http://<cname>/<cloud>` when not secure and `https://<distribution>/<cloud>` when secure.
  return apiUrl.protocol === 'http:'
    ? { secure: false, cname: apiUrl.host }
    : { secure: true, secure_distribution: apiUrl.host };
}

/**
 * Files on Cloudinary, through the official SDK with signed uploads. The SDK's global config is never
 * touched: every call passes this instance's credentials and API host, so two drivers can coexist.
 */
export function createCloudinaryStorage(config: Config): StorageDriver {
  const { CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY, CLOUDINARY_API_SECRET } = config;
  if (!CLOUDINARY_CLOUD_NAME || !CLOUDINARY_API_KEY || !CLOUDINARY_API_SECRET) {
    throw new Error(
      'CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET are required',
    );
  }
  const apiUrl = config.CLOUDINARY_API_URL ? new URL(config.CLOUDINARY_API_URL) : undefined;
  const auth = {
    cloud_name: CLOUDINARY_CLOUD_NAME,
    api_key: CLOUDINARY_API_KEY,
    api_secret: CLOUDINARY_API_SECRET,
    ...(apiUrl ? { upload_prefix: apiUrl.origin } : {}),
  };
  // The SDK picks its http/https module once, when it loads, from the global config; an agent of the
  // right protocol lets an http:// API host (the test stand-in) work whatever it picked.
  const agent =
    apiUrl?.protocol === 'http:'
      ? new HttpAgent({ keepAlive: true })
      : new HttpsAgent({ keepAlive: true });
  const delivery = deliveryOptions(apiUrl);

  return {
    name: 'cloudinary',

    async put({ key, body, contentType, visibility }) {
      const resourceType = resourceTypeOf(contentType, key);
      const { publicId } = publicIdOf(key, resourceType);
      const options: UploadApiOptions = {
        ...auth,
        agent,
        resource_type: resourceType,
        type: deliveryType(visibility),
        public_id: publicId,
        // Keys are unique server-made names: never replace an asset, never add a random suffix.
        overwrite: false,
        unique_filename: false,
        use_filename: false,
        timeout: 60_000,
      };
      await new Promise<void>((resolve, reject) => {
        const stream = cloudinary.uploader.upload_stream(options, (err, result) => {
          if (err || !result) reject(toError('upload', err));
          else resolve();
        });
        stream.end(body);
      });
    },

    async delete(key, visibility, contentType) {
      const resourceType = resourceTypeOf(contentType, key);
      const { publicId } = publicIdOf(key, resourceType);
      const options = {
        ...auth,
        agent,
        resource_type: resourceType,
        type: deliveryType(visibility),
        // Public assets may sit in CDN caches; a deleted avatar should stop loading there too.
        invalidate: true,
      };
      // The SDK's typings list only some options; it reads credentials and agent from all of them.
      const result: unknown = await cloudinary.uploader
        .destroy(publicId, options)
        .catch((err: unknown) => {
          throw toError('destroy', err);
        });
      const outcome = (result as { result?: string } | undefined)?.result;
      // `not found` is what deleting a missing asset answers: already gone is what we wanted.
      if (outcome !== 'ok' && outcome !== 'not found') {
        throw new Error(`cloudinary destroy failed: ${outcome ?? 'no result'}`);
      }
    },

    async url(key, { visibility, expiresInSec, contentType }) {
      const resourceType = resourceTypeOf(contentType, key);
      const { publicId, format } = publicIdOf(key, resourceType);
      if (visibility === 'public') {
        return cloudinary.url(publicId, {
          ...delivery,
          cloud_name: CLOUDINARY_CLOUD_NAME,
          resource_type: resourceType,
          type: 'upload',
          ...(format ? { format } : {}),
          // A stored, permanent URL: no per-request analytics parameter in it.
          urlAnalytics: false,
        });
      }
      // The download API checks the signature and expires_at itself; a browser needs no headers.
      // Images and video open inline; anything else is sent as an attachment, never rendered.
      const inline = resourceType !== 'raw';
      const options = {
        ...auth,
        resource_type: resourceType,
        type: deliveryType('private'),
        expires_at: Math.floor(Date.now() / 1000) + expiresInSec,
        ...(inline ? {} : { attachment: true }),
      };
      return cloudinary.utils.private_download_url(publicId, format ?? '', options);
    },
  };
}
