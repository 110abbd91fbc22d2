import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the part of S3 the s3 driver uses, path-style on 127.0.0.1: PUT, GET, HEAD and
 * DELETE of `/<bucket>/<key>`. Every request is checked with full SigV4, from the Authorization
 * header or a presigned query (with X-Amz-Date + X-Amz-Expires not passed). Unsigned GETs are
 * allowed only under `publicPrefixes`, like a bucket policy granting public read on `avatars/`.
 */

export interface FakeS3Object {
  bytes: Buffer;
  contentType: string;
  cacheControl?: string;
}

export interface FakeS3 {
  /** Endpoint to give the driver as S3_ENDPOINT. */
  url: string;
  bucket: string;
  /** The S3_* variables that point an app at this stand-in. */
  env: Record<string, string>;
  objects: Map<string, FakeS3Object>;
  requests: { method: string; path: string; status: number }[];
  /** Moves this server's clock (seconds), to expire presigned URLs without waiting. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 wants for query keys and values. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** `20240102T030405Z` → epoch seconds, or NaN. */
function parseAmzDate(value: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000 : NaN;
}

export async function startFakeS3(
  options: {
    bucket?: string;
    region?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    publicPrefixes?: string[];
  } = {},
): Promise<FakeS3> {
  const bucket = options.bucket ?? 'chat-test-bucket';
  const region = options.region ?? 'us-east-1';
  const accessKeyId = options.accessKeyId ?? 'AKIAFAKEFAKEFAKE0001';
  const secretAccessKey = options.secretAccessKey ?? randomBytes(20).toString('base64');
  const publicPrefixes = options.publicPrefixes ?? ['avatars/'];
  const objects = new Map<string, FakeS3Object>();
  const requests: FakeS3['requests'] = [];
  let skew = 0;
  const now = () => Math.floor(Date.now() / 1000) + skew;

  /** Recomputes the SigV4 signature of a request and compares it with the one given. */
  function checkSignature(
    req: IncomingMessage,
    rawPath: string,
    query: [string, string][],
    auth: {
      credential: string;
      signedHeaders: string;
      signature: string;
      amzDate: string;
      payloadHash: string;
    },
  ): void {
    const [keyId, date, credRegion, service, terminator] = auth.credential.split('/');
    if (keyId !== accessKeyId) throw new S3Error(403, 'InvalidAccessKeyId', 'Unknown access key');
    if (
      credRegion !== region ||
      service !== 's3' ||
      terminator !== 'aws4_request' ||
      date !== auth.amzDate.slice(0, 8)
    ) {
      throw new S3Error(403, 'AuthorizationQueryParametersError', 'Bad credential scope');
    }
    const names = auth.signedHeaders.split(';');
    if (!names.includes('host')) throw new S3Error(403, 'AccessDenied', 'host must be signed');
    const headers = names
      .map((name) => {
        const value = req.headers[name];
        const text = Array.isArray(value) ? value.join(',') : (value ?? '');
        return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const canonicalQuery = query
      .filter(([k]) => k !== 'X-Amz-Signature')
      .map(([k, v]) => [encode(k), encode(v)] as const)
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    // S3 signs the path as sent, not normalised or encoded again.
    const canonical = [
      req.method,
      rawPath,
      canonicalQuery,
      headers,
      auth.signedHeaders,
      auth.payloadHash,
    ].join('\n');
    const scope = `${date}/${region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', auth.amzDate, scope, sha256(canonical)].join('\n');
    const key = hmac(
      hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), 's3'),
      'aws4_request',
    );
    const expected = Buffer.from(createHmac('sha256', key).update(toSign).digest('hex'));
    const given = Buffer.from(auth.signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature does not match');
    }
  }

  /** True for a correctly signed request, false for an anonymous one; throws for a bad one. */
  function authenticate(
    req: IncomingMessage,
    rawPath: string,
    query: [string, string][],
    body: Buffer,
  ): boolean {
    const q = new Map(query);
    if (q.has('X-Amz-Algorithm') || q.has('X-Amz-Signature')) {
      if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
        throw new S3Error(400, 'AuthorizationQueryParametersError', 'Bad algorithm');
      const signature = q.get('X-Amz-Signature');
      if (!signature) throw new S3Error(403, 'AccessDenied', 'X-Amz-Signature is missing');
      const signedAt = parseAmzDate(q.get('X-Amz-Date'));
      const expires = Number(q.get('X-Amz-Expires'));
      if (
        !Number.isFinite(signedAt) ||
        !Number.isInteger(expires) ||
        expires < 1 ||
        expires > 604_800
      ) {
        throw new S3Error(
          400,
          'AuthorizationQueryParametersError',
          'Bad X-Amz-Date or X-Amz-Expires',
        );
      }
      if (now() > signedAt + expires) throw new S3Error(403, 'AccessDenied', 'Request has expired');
      if (signedAt > now() + 900)
        throw new S3Error(403, 'AccessDenied', 'Request is not yet valid');
      checkSignature(req, rawPath, query, {
        credential: q.get('X-Amz-Credential') ?? '',
        signedHeaders: q.get('X-Amz-SignedHeaders') ?? '',
        signature,
        amzDate: q.get('X-Amz-Date') ?? '',
        payloadHash: q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
      });
      return true;
    }
    const header = req.headers.authorization;
    if (!header) return false;
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
        header,
      );
    if (!m) throw new S3Error(400, 'InvalidArgument', 'Unsupported Authorization header');
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!(Math.abs(now() - parseAmzDate(amzDate)) <= 900))
      throw new S3Error(403, 'RequestTimeTooSkewed', 'Clock skew too large');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash) throw new S3Error(400, 'InvalidRequest', 'x-amz-content-sha256 is required');
    if (payloadHash.startsWith('STREAMING-'))
      throw new S3Error(501, 'NotImplemented', 'aws-chunked bodies are not supported here');
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        'The body does not match x-amz-content-sha256',
      );
    }
    checkSignature(req, rawPath, query, {
      credential: m[1]!,
      signedHeaders: m[2]!,
      signature: m[3]!,
      amzDate,
      payloadHash,
    });
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    const query = rawQuery
      .split('&')
      .filter(Boolean)
      .map((pair): [string, string] => {
        const i = pair.indexOf('=');
        const [k, v] = i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
        return [decodeURIComponent(k), decodeURIComponent(v)];
      });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const signed = authenticate(req, rawPath, query, body);

    const [, bucketName, ...rest] = rawPath.split('/').map(decodeURIComponent);
    if (bucketName !== bucket) throw new S3Error(404, 'NoSuchBucket', 'The bucket does not exist');
    const key = rest.join('/');
    if (!key) throw new S3Error(400, 'InvalidRequest', 'Only object requests are supported');
    const isPublic = publicPrefixes.some((p) => key.startsWith(p));

    if (req.method === 'PUT') {
      if (!signed) throw new S3Error(403, 'AccessDenied', 'Anonymous writes are not allowed');
      const cacheControl = req.headers['cache-control'];
      objects.set(key, {
        bytes: body,
        contentType: req.headers['content-type'] ?? 'binary/octet-stream',
        ...(cacheControl ? { cacheControl } : {}),
      });
      res.writeHead(200, { ETag: `"${createHash('md5').update(body).digest('hex')}"` });
      return void res.end();
    }
    if (req.method === 'DELETE') {
      if (!signed) throw new S3Error(403, 'AccessDenied', 'Anonymous deletes are not allowed');
      objects.delete(key);
      res.writeHead(204);
      return void res.end();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Without s3:ListBucket, S3 answers a missing key with 403 too: anonymous callers learn nothing.
      if (!signed && !isPublic) throw new S3Error(403, 'AccessDenied', 'Access Denied');
      const object = objects.get(key);
      if (!object) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      const q = new Map(query);
      const headers: Record<string, string | number> = {
        // response-* overrides are honoured for signed requests only, as S3 does.
        'Content-Type': (signed && q.get('response-content-type')) || object.contentType,
        'Content-Length': object.bytes.length,
      };
      const disposition = signed ? q.get('response-content-disposition') : undefined;
      if (disposition) headers['Content-Disposition'] = disposition;
      if (object.cacheControl) headers['Cache-Control'] = object.cacheControl;
      res.writeHead(200, headers);
      return void res.end(req.method === 'HEAD' ? undefined : object.bytes);
    }
    throw new S3Error(405, 'MethodNotAllowed', 'Method not allowed');
  }

  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () =>
      requests.push({ method: req.method ?? '', path, status: res.statusCode }),
    );
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = err instanceof S3Error ? err : new S3Error(500, 'InternalError', String(err));
      res.writeHead(e.status, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_REGION: region,
      S3_ENDPOINT: url,
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    objects,
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
}
