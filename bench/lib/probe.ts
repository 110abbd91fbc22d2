import http from 'node:http';
import { Histogram, type LatencySummary } from './histogram.js';

export interface ProbeResult {
  /** GET /health round trips: the event-loop lag seen indirectly, plus one database ping. */
  health: LatencySummary;
  /** GET of an unknown path (404 from the app's middleware chain, no database). */
  noDb: LatencySummary;
  errors: number;
}

/**
 * Measures the server's responsiveness indirectly (it exposes no event-loop metric): round trips of
 * `GET /health` and of a 404 path, `perSecond` times a second each, grouped by the current phase.
 */
export function startProbe(baseUrl: string, perSecond: number) {
  // No socket limit: a slow probe must never queue the next one in the client (that would be
  // measured as server lag); idle keep-alive sockets are reused.
  const agent = new http.Agent({ keepAlive: true });
  const phases = new Map<string, { health: Histogram; noDb: Histogram; errors: number }>();
  let phase = 'default';
  const bucket = () => {
    let b = phases.get(phase);
    if (!b) phases.set(phase, (b = { health: new Histogram(), noDb: new Histogram(), errors: 0 }));
    return b;
  };
  const hit = (path: string, into: 'health' | 'noDb') => {
    const b = bucket();
    const t0 = performance.now();
    const req = http.get(`${baseUrl}${path}`, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => b[into].record(performance.now() - t0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => (b.errors += 1));
  };
  const timer = setInterval(() => {
    hit('/health', 'health');
    hit('/__bench_lag_probe', 'noDb');
  }, 1000 / perSecond);
  return {
    setPhase(name: string) {
      phase = name;
    },
    /** Waits for the last probes, then returns the results per phase. */
    async stop(): Promise<Record<string, ProbeResult>> {
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 300));
      agent.destroy();
      const out: Record<string, ProbeResult> = {};
      for (const [name, b] of phases)
        out[name] = { health: b.health.summary(), noDb: b.noDb.summary(), errors: b.errors };
      return out;
    },
  };
}
