import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileTypeFromBuffer } from 'file-type';

/**
 * A stand-in for the part of Cloudinary's API the cloudinary driver uses, on 127.0.0.1:
 * - POST /v1_1/<cloud>/<resource_type>/upload and .../destroy (multipart, signed like the real API);
 * - GET /v1_1/<cloud>/<resource_type>/download?... (private_download_url: signature and expires_at);
 * - GET /<cloud>/<resource_type>/upload/[v<n>/]<public_id>[.<format>] (public delivery).
 * Assets live in memory, keyed `<resource_type>/<type>/<public_id>`, for tests to look at.
 */

export interface FakeAsset {
  resourceType: string;
  type: string;
  publicId: string;
  /** Detected from the bytes for images and video, as Cloudinary does; none for raw. */
  format?: string;
  contentType: string;
  bytes: Buffer;
  version: number;
}

export interface FakeCloudinary {
  /** Origin to give the driver as CLOUDINARY_API_URL. */
  url: string;
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  /** The CLOUDINARY_* variables that point an app at this stand-in. */
  env: Record<string, string>;
  assets: Map<string, FakeAsset>;
  /** Every request, for assertions: method, path (no query) and the status answered. */
  requests: { method: string; path: string; status: number }[];
  /** Moves this server's clock (seconds), to expire signed URLs without waiting. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

/** Cloudinary does not sign these; everything else sent is signed. */
const UNSIGNED = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature']);

/**
 * The signature Cloudinary expects: sha1 of the sorted `key=value` pairs joined by `&` (an `&` inside
 * a pair escaped as %26, signature version 2), followed by the API secret.
 */
export function cloudinarySignature(params: Record<string, string>, apiSecret: string): string {
  const toSign = Object.entries(params)
    .filter(([k, v]) => !UNSIGNED.has(k) && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`.replace(/&/g, '%26'))
    .join('&');
  return createHash('sha1')
    .update(toSign + apiSecret)
    .digest('hex');
}

const RAW_TYPES: Record<string, string> = {
  txt: 'text/plain',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeCloudinary(
  options: { cloudName?: string; apiKey?: string; apiSecret?: string } = {},
): Promise<FakeCloudinary> {
  const cloudName = options.cloudName ?? 'demo-cloud';
  const apiKey = options.apiKey ?? '123456789012345';
  const apiSecret = options.apiSecret ?? randomBytes(16).toString('hex');
  const assets = new Map<string, FakeAsset>();
  const requests: FakeCloudinary['requests'] = [];
  let skew = 0;
  const now = () => Math.floor(Date.now() / 1000) + skew;

  function checkSigned(params: Record<string, string>): void {
    if (params.api_key !== apiKey) throw new HttpError(401, 'Invalid api_key');
    const given = Buffer.from(params.signature ?? '');
    const expected = Buffer.from(cloudinarySignature(params, apiSecret));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'Invalid Signature');
    }
    if (params.expires_at !== undefined) {
      if (!(Number(params.expires_at) > now())) throw new HttpError(401, 'URL has expired');
    } else if (!(Math.abs(now() - Number(params.timestamp)) <= 3600)) {
      throw new HttpError(401, 'Stale request');
    }
  }

  async function readForm(
    req: IncomingMessage,
  ): Promise<{ params: Record<string, string>; file?: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = await new Response(Buffer.concat(chunks), {
      headers: { 'content-type': req.headers['content-type'] ?? '' },
    }).formData();
    const params: Record<string, string> = {};
    let file: Buffer | undefined;
    for (const [name, value] of form.entries()) {
      if (name === 'file')
        file = typeof value === 'string' ? undefined : Buffer.from(await value.arrayBuffer());
      else if (typeof value === 'string') params[name] = value;
    }
    return { params, file };
  }

  async function upload(resourceType: string, req: IncomingMessage) {
    const { params, file } = await readForm(req);
    checkSigned(params);
    if (!file) throw new HttpError(400, 'Missing required parameter - file');
    const type = params.type ?? 'upload';
    const publicId = params.public_id ?? randomBytes(10).toString('hex');
    const key = `${resourceType}/${type}/${publicId}`;
    const existing = assets.get(key);
    if (existing && params.overwrite !== 'true' && params.overwrite !== '1')
      return describe(existing);
    let format: string | undefined;
    let contentType: string;
    if (resourceType === 'raw') {
      contentType = RAW_TYPES[publicId.split('.').pop() ?? ''] ?? 'application/octet-stream';
    } else {
      const detected = await fileTypeFromBuffer(file);
      if (!detected?.mime.startsWith(`${resourceType}/`))
        throw new HttpError(400, `Invalid ${resourceType} file`);
      format = detected.ext;
      contentType = detected.mime;
    }
    const asset: FakeAsset = {
      resourceType,
      type,
      publicId,
      format,
      contentType,
      bytes: file,
      version: now(),
    };
    assets.set(key, asset);
    return describe(asset);
  }

  function describe(a: FakeAsset) {
    return {
      public_id: a.publicId,
      version: a.version,
      resource_type: a.resourceType,
      type: a.type,
      format: a.format,
      bytes: a.bytes.length,
      secure_url: `${server.url}/${cloudName}/${a.resourceType}/${a.type}/v${a.version}/${a.publicId}${a.format ? `.${a.format}` : ''}`,
    };
  }

  async function destroy(resourceType: string, req: IncomingMessage) {
    const { params } = await readForm(req);
    checkSigned(params);
    const key = `${resourceType}/${params.type ?? 'upload'}/${params.public_id ?? ''}`;
    return { result: assets.delete(key) ? 'ok' : 'not found' };
  }

  function send(res: ServerResponse, asset: FakeAsset | undefined, attachment = false): void {
    if (!asset) throw new HttpError(404, 'Resource not found');
    const name = asset.publicId.split('/').pop() ?? 'file';
    res.writeHead(200, {
      'Content-Type': asset.contentType,
      'Content-Length': asset.bytes.length,
      ...(attachment
        ? {
            'Content-Disposition': `attachment; filename="${name}${asset.format ? `.${asset.format}` : ''}"`,
          }
        : {}),
    });
    res.end(asset.bytes);
  }

  /** The download API behind private_download_url: every query parameter is signed. */
  function download(resourceType: string, query: URLSearchParams, res: ServerResponse): void {
    const params = Object.fromEntries(query.entries());
    checkSigned(params);
    const asset = assets.get(
      `${resourceType}/${params.type ?? 'upload'}/${params.public_id ?? ''}`,
    );
    // The stand-in does not convert: asking for another format than the stored one finds nothing.
    send(
      res,
      asset && (!params.format || params.format === asset.format) ? asset : undefined,
      params.attachment === 'true',
    );
  }

  /** Public delivery; private and authenticated assets are never served unsigned. */
  function deliver(resourceType: string, type: string, rest: string, res: ServerResponse): void {
    if (type !== 'upload') throw new HttpError(401, 'Signed URL required');
    const path = rest.replace(/^v\d+\//, '');
    if (resourceType === 'raw') return send(res, assets.get(`raw/upload/${path}`));
    const dot = path.lastIndexOf('.');
    const asset = assets.get(`${resourceType}/upload/${dot > 0 ? path.slice(0, dot) : path}`);
    send(res, asset && (dot < 0 || path.slice(dot + 1) === asset.format) ? asset : undefined);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (segments[0] === 'v1_1') {
      const [, cloud, resourceType = '', action] = segments;
      if (cloud !== cloudName) throw new HttpError(404, 'Unknown cloud');
      if (!['image', 'video', 'raw'].includes(resourceType))
        throw new HttpError(400, 'Invalid resource type');
      let body: unknown;
      if (req.method === 'POST' && action === 'upload') body = await upload(resourceType, req);
      else if (req.method === 'POST' && action === 'destroy')
        body = await destroy(resourceType, req);
      else if (req.method === 'GET' && action === 'download')
        return download(resourceType, url.searchParams, res);
      else throw new HttpError(404, 'Unknown API');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    const [cloud, resourceType = '', type = '', ...rest] = segments;
    if (req.method !== 'GET' || cloud !== cloudName || rest.length === 0)
      throw new HttpError(404, 'Not found');
    deliver(resourceType, type, rest.join('/'), res);
  }

  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () =>
      requests.push({ method: req.method ?? '', path, status: res.statusCode }),
    );
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (res.headersSent) return void res.destroy();
      // The SDK reads `{ error: { message } }` on 400/401/404/500.
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: err instanceof Error ? err.message : String(err) } }),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const server: FakeCloudinary = {
    url: `http://127.0.0.1:${port}`,
    cloudName,
    apiKey,
    apiSecret,
    env: {
      CLOUDINARY_CLOUD_NAME: cloudName,
      CLOUDINARY_API_KEY: apiKey,
      CLOUDINARY_API_SECRET: apiSecret,
      CLOUDINARY_API_URL: `http://127.0.0.1:${port}`,
    },
    assets,
    requests,
    advance(seconds) {
      skew += seconds;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections();
        http.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return server;
}
