/**
 * HTTP load generator process. `cannon`: closed-loop keep-alive load with autocannon over a list of
 * (path, token) requests, latency recorded per response with sub-millisecond precision. `open`: an
 * open-loop POST at a fixed rate (logins), each request timed from its scheduled start.
 */
import http from 'node:http';
import autocannon from 'autocannon';
import { Histogram, type HistogramData } from '../lib/histogram.js';

export interface CannonRequest {
  path: string;
  token?: string;
  /** GET unless given. */
  method?: 'GET' | 'POST';
  /** A JSON body; `__N__` in it becomes a number unique to the request (a fresh clientId). */
  body?: string;
}

/** Numbers the requests of this worker, for `__N__` in bodies. */
let requestNumber = 0;
const bodyOf = (r: CannonRequest) => r.body?.replaceAll('__N__', String((requestNumber += 1)));

function headersOf(r: CannonRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  if (r.body) headers['content-type'] = 'application/json';
  return headers;
}

export type ToHttpWorker =
  | {
      type: 'cannon';
      url: string;
      connections: number;
      durationS: number;
      requests: CannonRequest[];
    }
  | {
      type: 'open';
      url: string;
      /** POST `bodies` to `path` in turn, or, with `requests`, send those in turn. */
      path: string;
      bodies: string[];
      requests?: CannonRequest[];
      rate: number;
      durationS: number;
      maxInFlight: number;
      timeoutMs: number;
    };

export interface CannonReport {
  type: 'cannonDone';
  total: number;
  reqPerSec: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  hist: HistogramData;
}

export interface OpenReport {
  type: 'openDone';
  sent: number;
  skipped: number;
  ok: number;
  statusCodes: Record<string, number>;
  errors: number;
  sendSeconds: number;
  totalSeconds: number;
  hist: HistogramData;
}

export type FromHttpWorker = CannonReport | OpenReport;

async function cannon(msg: Extract<ToHttpWorker, { type: 'cannon' }>): Promise<CannonReport> {
  const hist = new Histogram();
  let i = 0;
  const instance = autocannon({
    url: msg.url,
    connections: msg.connections,
    duration: msg.durationS,
    timeout: 30,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const r = msg.requests[i++ % msg.requests.length]!;
          return {
            ...req,
            method: r.method ?? 'GET',
            path: r.path,
            headers: headersOf(r),
            body: bodyOf(r),
          };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status < 300) hist.record(ms);
  });
  const res = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statusCodes[code] = v.count;
  return {
    type: 'cannonDone',
    total: res.requests.total,
    reqPerSec: Math.round(res.requests.total / res.duration),
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    statusCodes,
    hist: hist.toJSON(),
  };
}

async function openLoop(msg: Extract<ToHttpWorker, { type: 'open' }>): Promise<OpenReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: msg.maxInFlight });
  const hist = new Histogram();
  const statusCodes: Record<string, number> = {};
  let sent = 0;
  let skipped = 0;
  let ok = 0;
  let errors = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const fire = () => {
    const r: CannonRequest = msg.requests
      ? msg.requests[sent % msg.requests.length]!
      : { method: 'POST', path: msg.path, body: msg.bodies[sent % msg.bodies.length]! };
    const body = bodyOf(r);
    sent += 1;
    inFlight += 1;
    const t0 = performance.now();
    const p = new Promise<void>((resolve) => {
      const req = http.request(
        `${msg.url}${r.path}`,
        {
          method: r.method ?? 'GET',
          agent,
          timeout: msg.timeoutMs,
          headers: headersOf(r),
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = String(res.statusCode);
            statusCodes[code] = (statusCodes[code] ?? 0) + 1;
            if ((res.statusCode ?? 500) < 300) {
              ok += 1;
              hist.record(performance.now() - t0);
            }
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });
    pending.add(p);
    void p.then(() => {
      inFlight -= 1;
      pending.delete(p);
    });
  };
  const start = performance.now();
  let scheduled = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Math.min(performance.now() - start, msg.durationS * 1000);
      const due = Math.floor((elapsed * msg.rate) / 1000) - scheduled;
      for (let k = 0; k < due; k++) {
        scheduled += 1;
        if (inFlight >= msg.maxInFlight) skipped += 1;
        else fire();
      }
      if (elapsed >= msg.durationS * 1000) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.all(pending);
  agent.destroy();
  return {
    type: 'openDone',
    sent,
    skipped,
    ok,
    statusCodes,
    errors,
    sendSeconds,
    totalSeconds: (performance.now() - start) / 1000,
    hist: hist.toJSON(),
  };
}

process.on('message', (msg: ToHttpWorker) => {
  const job = msg.type === 'cannon' ? cannon(msg) : openLoop(msg);
  job.then(
    (report) => process.send?.(report),
    (err: unknown) => {
      console.error('http worker failed:', err);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
