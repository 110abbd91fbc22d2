import http from 'node:http';
import https from 'node:https';
import webpush from 'web-push';
import { endpointProblem, guardedLookup } from './endpoint-guard.js';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushSenderOptions {
  vapid: { subject: string; publicKey: string; privateKey: string };
  allowPrivate: boolean;
  timeoutMs: number;
}

/** What the push service answered: its status and, with 429/503, its Retry-After. */
export interface PushResponse {
  status: number;
  retryAfter?: string;
}

/**
 * Sends one push (RFC 8030) with the `web-push` library doing the standard parts: the payload
 * encrypted for the subscription (RFC 8291, `aes128gcm`) and the VAPID authorization (RFC 8292). The
 * request itself is ours, through `guardedLookup`, so the SSRF guard checks the address connected to.
 * `topic` collapses a repeat of the same push at the push service (a retry after a lost answer).
 */
export function createPushSender(options: PushSenderOptions) {
  return async function send(
    target: PushTarget,
    payload: string,
    extra: { ttlSec: number; topic?: string },
  ): Promise<PushResponse> {
    const problem = endpointProblem(target.endpoint, options.allowPrivate);
    if (problem) throw Object.assign(new Error(`push endpoint ${problem}`), { permanent: true });
    const details = webpush.generateRequestDetails(
      { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
      payload,
      {
        vapidDetails: options.vapid,
        TTL: extra.ttlSec,
        topic: extra.topic,
        urgency: 'high',
        contentEncoding: 'aes128gcm',
      },
    );
    const url = new URL(details.endpoint);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<PushResponse>((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: details.headers as Record<string, string | number>,
          lookup: guardedLookup(options.allowPrivate) as never,
          timeout: options.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            resolve({
              status: res.statusCode ?? 0,
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('push service timed out')));
      req.on('error', reject);
      req.end(details.body ?? undefined);
    });
  };
}

export type PushSender = ReturnType<typeof createPushSender>;
