import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistenceResult } from '../scenarios/persistence.js';
import type { Options } from './args.js';
import {
  connectionsMd,
  ejabberdMd,
  pushMd,
  fanoutMd,
  historyMd,
  loginMd,
  restMd,
  persistenceMd,
  profilesMd,
  table,
} from './markdown.js';
import type { ProfileSummary } from './profile.js';
import { ROOT } from './proc.js';
import { latencySvg } from './svg.js';
import type { Results, Target } from './targets.js';

export interface Report {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  mode: 'quick' | 'full' | 'custom';
  options: Omit<Options, 'databaseUrl'>;
  environment: Record<string, string | number | boolean>;
  results: Results & { persistence?: PersistenceResult };
  targets: Target[];
  failures: { scenario: string; error: string }[];
  profiles: Record<string, ProfileSummary[]>;
}

const mark = (met: boolean | null) => (met === null ? '–' : met ? 'met' : 'NOT met');

function markdown(r: Report, svgName: string): string {
  const { results: res } = r;
  const out: string[] = [
    `# Chat backend benchmark — ${r.startedAt} (${r.mode})`,
    '',
    `Ran ${r.options.scenarios.join(', ')} in ${Math.round(r.seconds)} s.`,
    '',
    table(
      ['environment', ''],
      Object.entries(r.environment).map(([k, v]) => [k, String(v)]),
    ),
    '',
    '## Targets',
    '',
    table(
      ['target', 'goal', 'measured', 'result', 'note'],
      r.targets.map((t) => [t.name, t.target, t.value, mark(t.met), t.note ?? '']),
    ),
  ];
  if (r.failures.length)
    out.push(
      '',
      '## Failed scenarios',
      '',
      ...r.failures.map((f) => `- **${f.scenario}**: ${f.error}`),
    );
  if (res.persistence)
    out.push(
      '',
      '## Persistence ceiling (PostgreSQL, from the bench process)',
      '',
      persistenceMd(res.persistence),
    );
  if (res.fanout || res.cluster)
    out.push('', `![send→receive latency vs offered load](${svgName})`);
  if (res.fanout) {
    out.push(
      '',
      '## Fan-out: server (single node, PostgreSQL)',
      '',
      fanoutMd(res.fanout.server, res.fanout.relay),
    );
    out.push('', '## Fan-out: bare Socket.io relay (baseline)', '', fanoutMd(res.fanout.relay));
  }
  if (res.cluster)
    out.push(
      '',
      '## Cluster: two nodes behind Redis',
      '',
      fanoutMd(res.cluster, res.fanout?.relay),
    );
  if (res.ejabberd)
    out.push(
      '',
      '## ejabberd side by side (MUC + MAM on the same PostgreSQL)',
      '',
      ejabberdMd(res.ejabberd),
    );
  if (res.push) out.push('', '## Send path with the push outbox on', '', pushMd(res.push));
  if (res.connections) out.push('', '## Connections', '', connectionsMd(res.connections));
  if (res.history)
    out.push('', '## History, catch-up, search, room list', '', historyMd(res.history));
  if (res.rest)
    out.push(
      '',
      '## REST: the project against a minimal node:http + pg server',
      '',
      restMd(res.rest),
    );
  if (res.login) out.push('', '## Login burst', '', loginMd(res.login));
  if (Object.keys(r.profiles).length)
    out.push('', '## CPU profiles (--profile)', '', profilesMd(r.profiles));
  out.push(
    '',
    '## Notes',
    '',
    "- Latency is send→receive at every receiver (the sender's own socket included, as the server emits to the whole room), from a timestamp in the content; sender and receivers of a room live in one generator process.",
    '- Event-loop lag is indirect: the server exposes no metric, so it is the round trip of `GET /health` (which includes one database ping) and of a 404 path (middleware only, no database).',
    '- A step is saturated when more than 1 % of acks fail or time out (10 s), p99 exceeds 1 s, or fewer than 99 % of the expected deliveries arrive; the run stops raising load there.',
    '- PostgreSQL and Redis run on the same machine and are not pinned: they share the cores with the server and the generator.',
  );
  return `${out.join('\n')}\n`;
}

/** Writes <date>.json/.md/.svg under bench/results and copies them to latest.*; returns the paths. */
export function writeReport(r: Report): string[] {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const runs = [
    ...(r.results.fanout
      ? [
          { name: 'server', run: r.results.fanout.server },
          { name: 'relay', run: r.results.fanout.relay },
        ]
      : []),
    ...(r.results.cluster ? [{ name: 'cluster', run: r.results.cluster }] : []),
  ];
  const files = {
    json: JSON.stringify(r, null, 2),
    svg: latencySvg(
      runs,
      `Fan-out send→receive latency, ${r.options.clients} clients in ${r.options.rooms} rooms`,
    ),
  };
  const paths: string[] = [];
  for (const [ext, body] of [
    ['json', files.json],
    ['md', markdown(r, `${stamp}.svg`)],
    ['svg', files.svg],
  ] as const) {
    const path = join(dir, `${stamp}.${ext}`);
    writeFileSync(path, body);
    paths.push(path);
  }
  writeFileSync(join(dir, 'latest.md'), markdown(r, 'latest.svg'));
  copyFileSync(join(dir, `${stamp}.json`), join(dir, 'latest.json'));
  copyFileSync(join(dir, `${stamp}.svg`), join(dir, 'latest.svg'));
  return paths;
}

export function printSummary(targets: Target[]): void {
  const rows = targets.map((t) => [t.name, t.target, t.value, mark(t.met)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `\n${line(['target', 'goal', 'measured', 'result'])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`,
  );
  for (const r of rows) console.log(line(r));
}
