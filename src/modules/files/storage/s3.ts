import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from '../../../config/config.js';
import type { StorageDriver } from './storage.js';

/** SigV4 presigned URLs live at most seven days. */
const MAX_PRESIGN_SEC = 7 * 24 * 3600;

/** RFC 6266: an ASCII fallback and the UTF-8 name, the way the local driver's download route says it. */
export function contentDisposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/**
 * The base URL public objects load from: S3_PUBLIC_URL when set (a CDN, or a store whose public host
 * differs from its API), else the bucket's own URL on the endpoint, else AWS's virtual-hosted URL.
 */
export function publicBaseUrl(config: Config, bucket: string): string {
  if (config.S3_PUBLIC_URL) return config.S3_PUBLIC_URL.replace(/\/+$/, '');
  if (config.S3_ENDPOINT) {
    const endpoint = new URL(config.S3_ENDPOINT);
    const path = endpoint.pathname.replace(/\/+$/, '');
    if (config.S3_FORCE_PATH_STYLE) return `${endpoint.origin}${path}/${bucket}`;
    return `${endpoint.protocol}//${bucket}.${endpoint.host}${path}`;
  }
  if (config.S3_FORCE_PATH_STYLE) return `https://s3.${config.S3_REGION}.amazonaws.com/${bucket}`;
  return `https://${bucket}.s3.${config.S3_REGION}.amazonaws.com`;
}

/**
 * Files in any S3-compatible store (AWS, MinIO, R2, B2, Wasabi...). Private objects are put with no
 * ACL and read through presigned GETs; public ones (avatars) too, since ACLs are off by default on AWS
 * and missing elsewhere: making them readable (a bucket policy on `avatars/`, or a CDN) is the
 * operator's part, and S3_PUBLIC_URL says where they are read.
 */
export function createS3Storage(config: Config): StorageDriver {
  const bucket = config.S3_BUCKET;
  if (!bucket) throw new Error('S3_BUCKET is required');
  const credentials =
    config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
      : undefined; // none given: the SDK's default chain (environment, profile, instance role)
  const client = new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials,
    // The SDK's default CRC checksums on every request are not understood by all S3-compatible
    // stores; only send them where the operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const publicBase = publicBaseUrl(config, bucket);

  return {
    name: 's3',

    async put({ key, body, contentType, visibility }) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          // Text files were checked to be UTF-8; say so, or browsers guess the charset.
          ContentType: contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType,
          // Public keys are unique per upload, so their bytes never change under the same URL.
          CacheControl: visibility === 'public' ? 'public, max-age=31536000, immutable' : undefined,
        }),
      );
    },

    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (err) {
        // S3 answers 204 for a missing key; some compatible stores answer 404 instead.
        if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return;
        throw err;
      }
    },

    async url(key, { visibility, expiresInSec, downloadName, contentType }) {
      if (visibility === 'public') return `${publicBase}/${encodeKey(key)}`;
      const type = contentType ?? '';
      const inline = type.startsWith('image/') || type.startsWith('video/');
      const name = downloadName || key.split('/').pop() || 'file';
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        // Anything but images and video downloads rather than renders in the browser.
        ResponseContentDisposition: contentDisposition(inline ? 'inline' : 'attachment', name),
      });
      const expiresIn = Math.min(Math.max(1, Math.floor(expiresInSec)), MAX_PRESIGN_SEC);
      return getSignedUrl(client, command, { expiresIn });
    },
  };
}
