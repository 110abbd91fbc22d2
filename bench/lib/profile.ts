import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idlePct: number;
  topFunctions: { name: string; selfMs: number; pct: number }[];
  byArea: { area: string; selfMs: number; pct: number }[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src\/.+?)(?:\.[jt]s)?$/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

/** Self time by function and by package/module, from the .cpuprofile files `--cpu-prof` wrote. */
export function summarizeProfiles(dir: string): ProfileSummary[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((file) => {
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const areas = new Map<string, number>();
    let idle = 0;
    let busy = 0;
    prof.samples.forEach((id, i) => {
      const us = prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0;
      const node = byId.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        idle += us;
        return;
      }
      busy += us;
      const short = url ? url.replace(/^.*\/(node_modules|src)\//, '$1/') : '';
      const name = `${functionName || '(anonymous)'}${short ? ` ${short}:${lineNumber + 1}` : ''}`;
      self.set(name, (self.get(name) ?? 0) + us);
      const a = area(url, functionName);
      areas.set(a, (areas.get(a) ?? 0) + us);
    });
    const top = (m: Map<string, number>, n: number) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, us]) => ({
          k,
          selfMs: Math.round(us / 1000),
          pct: Math.round((us / busy) * 1000) / 10,
        }));
    return {
      file,
      busyMs: Math.round(busy / 1000),
      idlePct: Math.round((idle / (idle + busy)) * 1000) / 10,
      topFunctions: top(self, 20).map(({ k, ...r }) => ({ name: k, ...r })),
      byArea: top(areas, 15).map(({ k, ...r }) => ({ area: k, ...r })),
    };
  });
}
