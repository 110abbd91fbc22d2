import type {
  CannonReport,
  CannonRequest,
  FromHttpWorker,
  OpenReport,
  ToHttpWorker,
} from '../workers/http-worker.js';
import { resourceMeter, type NodeProcess } from './proc.js';
import type { WorkerHandle } from './workers.js';

export type HttpWorker = WorkerHandle<ToHttpWorker, FromHttpWorker>;

/** Closed-loop keep-alive load (autocannon in the worker) on one server, with the server's CPU %. */
export async function closedLoad(
  worker: HttpWorker,
  server: NodeProcess,
  load: { connections: number; durationS: number; requests: CannonRequest[] },
): Promise<{ report: CannonReport; cpuPct: number }> {
  const meter = resourceMeter(() => [server.pid]);
  meter.start();
  const report = await worker.request({ type: 'cannon', url: server.url, ...load }, 'cannonDone');
  return { report, cpuPct: meter.stop().cpuPct };
}

/** Open-loop load at a fixed rate on one server (each request timed from its scheduled start). */
export async function openLoad(
  worker: HttpWorker,
  server: NodeProcess,
  load: { rate: number; durationS: number; requests: CannonRequest[] },
): Promise<{ report: OpenReport; cpuPct: number }> {
  const meter = resourceMeter(() => [server.pid]);
  meter.start();
  const report = await worker.request(
    {
      type: 'open',
      url: server.url,
      path: '',
      bodies: [],
      maxInFlight: 200,
      timeoutMs: 10_000,
      ...load,
    },
    'openDone',
  );
  return { report, cpuPct: meter.stop().cpuPct };
}
