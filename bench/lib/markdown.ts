import type { ConnectionsResult } from '../scenarios/connections.js';
import type { EjabberdResult } from '../scenarios/ejabberd.js';
import type { HistoryResult } from '../scenarios/history.js';
import type { PushResult } from '../scenarios/push.js';
import type { RestResult } from '../scenarios/rest.js';
import type { LoginResult } from '../scenarios/login.js';
import type { PersistenceResult } from '../scenarios/persistence.js';
import type { FanoutRun } from './fanout-engine.js';
import type { ProfileSummary } from './profile.js';

export const table = (headers: string[], rows: (string | number)[][]): string =>
  [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');

const errs = (e: Record<string, number>) =>
  Object.entries(e)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');

export function fanoutMd(run: FanoutRun, relay?: FanoutRun): string {
  const rows = run.steps.map((s) => {
    const base = relay?.steps.find((b) => b.rate === s.rate);
    return [
      s.rate,
      `${s.acked}/${s.sent}${s.failed ? ` (${errs(s.errors)})` : ''}`,
      `${s.ack.p50} / ${s.ack.p99}`,
      `${s.delivered}/${s.expected}`,
      s.deliveriesPerSec,
      `${s.latency.p50} / ${s.latency.p95} / ${s.latency.p99} / ${s.latency.max}`,
      base
        ? `${(s.deliveriesPerSec / base.deliveriesPerSec).toFixed(2)}× / ${(s.latency.p99 / base.latency.p99).toFixed(2)}×`
        : '',
      s.serverCpuPct,
      s.serverRssMiB,
      s.generatorCpuPct,
      s.saturated ?? 'no',
    ];
  });
  const head =
    `${run.connected}/${run.clients} clients connected in ${run.rooms} rooms${run.connectFailed ? ` (failures: ${errs(run.connectErrors)})` : ''}; ` +
    (run.saturatedAt
      ? `saturated at ${run.saturatedAt.rate} msg/s (${run.saturatedAt.reason})`
      : 'did not saturate') +
    `; highest sustained load ${run.maxSustainedRate} msg/s, peak ${run.peakDeliveriesPerSec} deliveries/s.`;
  return `${head}\n\n${table(
    [
      'offered msg/s',
      'acked/sent',
      'ack p50 / p99 ms',
      'delivered/expected',
      'deliveries/s',
      'latency p50 / p95 / p99 / max ms',
      relay ? 'vs relay: deliveries / p99' : '',
      'server CPU %',
      'server RSS MiB',
      'generator CPU %',
      'saturated',
    ],
    rows,
  )}`;
}

export function connectionsMd(c: ConnectionsResult): string {
  const rows = [c.server, c.relay].map((r) => [
    r.label,
    `${r.connected}/${r.target}`,
    r.failed ? errs(r.errors) : 0,
    r.rampSeconds,
    r.connectRate,
    `${r.connectLatency.p50} / ${r.connectLatency.p99}`,
    `${r.rssBeforeMiB} → ${r.rssIdleMiB}`,
    r.rssPerSocketKiB,
    r.serverCpuPctRamp,
    `${r.lag.ramp?.health.p50} / ${r.lag.ramp?.health.p99}`,
    `${r.lag.idle?.health.p50} / ${r.lag.idle?.health.p99}`,
    `${r.lag.ramp?.noDb.p99} / ${r.lag.idle?.noDb.p99}`,
  ]);
  return table(
    [
      'system',
      'connected',
      'failed',
      'ramp s',
      'connects/s',
      'connect p50 / p99 ms',
      'RSS MiB before → idle',
      'KiB/socket',
      'CPU % during ramp',
      '/health p50 / p99 ms (ramp)',
      '/health p50 / p99 ms (idle)',
      '404 path p99 ms ramp / idle',
    ],
    rows,
  );
}

export function historyMd(h: HistoryResult): string {
  const rows = h.endpoints.map((e) => [
    e.name,
    `\`${e.example.replace(/room=[^&]+/, 'room=…')}\``,
    e.reqPerSec,
    `${e.latency.p50} / ${e.latency.p95} / ${e.latency.p99} / ${e.latency.max}`,
    e.non2xx,
    e.errors,
    e.serverCpuPct,
  ]);
  const plans = Object.entries(h.plans)
    .map(
      ([name, p]) =>
        `<details><summary>${name}</summary>\n\n\`\`\`sql\n${p.sql}\n\`\`\`\n\n\`\`\`\n${p.plan}\n\`\`\`\n</details>`,
    )
    .join('\n\n');
  return `${h.messages} messages in ${h.rooms} rooms (seeded in ${h.seedSeconds} s); ${h.users} users, each a member of ${h.memberRooms} rooms; autocannon with ${h.connections} keep-alive connections.\n\n${table(
    [
      'endpoint',
      'example',
      'req/s',
      'p50 / p95 / p99 / max ms',
      'non-2xx',
      'errors',
      'server CPU %',
    ],
    rows,
  )}\n\nQuery plans (EXPLAIN (ANALYZE, BUFFERS), the app's own SQL captured from its repository functions):\n\n${plans}`;
}

export function loginMd(l: LoginResult): string {
  const phases = Object.entries(l.lag).map(([phase, p]) => [
    phase,
    `${p.health.p50} / ${p.health.p99} / ${p.health.max}`,
    `${p.noDb.p50} / ${p.noDb.p99} / ${p.noDb.max}`,
    p.errors,
  ]);
  return `${table(
    [
      'offered',
      'sent',
      'ok',
      'not sent (1,000 in flight)',
      'errors',
      'completed/s',
      'latency p50 / p95 / p99 ms',
      'server CPU %',
      'statuses',
    ],
    [
      [
        `${l.offeredRate}/s × ${l.durationS} s`,
        l.sent,
        l.ok,
        l.skipped,
        l.errors,
        l.completedPerSec,
        `${l.latency.p50} / ${l.latency.p95} / ${l.latency.p99}`,
        l.serverCpuPct,
        errs(l.statusCodes),
      ],
    ],
  )}\n\nEvent-loop responsiveness, measured indirectly (20 probes/s of each):\n\n${table(['phase', '/health p50 / p99 / max ms', '404 path p50 / p99 / max ms', 'probe errors'], phases)}${failedLoginsMd(l)}`;
}

/** Before the burst: does a failed login take as long for an unknown user as for a wrong password? */
function failedLoginsMd(l: LoginResult): string {
  const f = l.failed;
  return `\n\nFailed logins on the idle server, one at a time, ${f.pairs} of each alternating (an unknown user should cost a dummy Argon2 verification, so the ratio is near 1):\n\n${table(
    ['unknown user ms', 'wrong password ms', 'ratio'],
    [[f.unknownMs, f.wrongMs, f.ratio]],
  )}`;
}

export function persistenceMd(p: PersistenceResult): string {
  return table(
    ['loop', 'connections', 'per second', 'p50 / p99 ms'],
    p.loops.map((l) => [l.name, l.connections, l.perSec, `${l.latency.p50} / ${l.latency.p99}`]),
  );
}

export function profilesMd(profiles: Record<string, ProfileSummary[]>): string {
  return Object.entries(profiles)
    .flatMap(([node, list]) =>
      list.map(
        (p) =>
          `#### ${node} (${p.busyMs} ms busy, ${p.idlePct}% idle)\n\n${table(
            ['self time by package/module', 'ms', '%'],
            p.byArea.slice(0, 10).map((a) => [a.area, a.selfMs, a.pct]),
          )}\n\n${table(
            ['top functions (self time)', 'ms', '%'],
            p.topFunctions.slice(0, 15).map((t) => [`\`${t.name}\``, t.selfMs, t.pct]),
          )}`,
      ),
    )
    .join('\n\n');
}

export function restMd(r: RestResult): string {
  const rows = r.endpoints.flatMap((e) =>
    (['project', 'baseline'] as const).map((who) => {
      const x = e[who];
      return [
        who === 'project' ? `${e.name} (\`${e.example.replace(/room=[^&]+/, 'room=…')}\`)` : '',
        who,
        x.reqPerSec,
        `${x.latency.p50} / ${x.latency.p99}`,
        x.serverCpuPct,
        x.non2xx + x.errors,
        `${x.halfLoad.rate}: ${x.halfLoad.latency.p50} / ${x.halfLoad.latency.p99}`,
        x.halfLoad.serverCpuPct,
      ];
    }),
  );
  return `${r.messages} messages in ${r.rooms} rooms, every fifth with reactions; ${r.users} users; the same database, both servers pinned to the same core, autocannon with ${r.connections} keep-alive connections, then an open loop at half of the project's saturation rate.\n\n${table(
    [
      'endpoint',
      'server',
      'req/s (saturated)',
      'p50 / p99 ms',
      'server CPU %',
      'non-2xx + errors',
      'half load req/s: p50 / p99 ms',
      'server CPU % at half load',
    ],
    rows,
  )}`;
}

export function ejabberdMd(e: EjabberdResult): string {
  const shape = `${e.clients} clients in ${e.rooms} rooms of ${e.roomSize}, ${e.rate} messages/s, a ${e.durationS} s warm-up step then a ${e.durationS} s measured step at the same rate, every message stored in PostgreSQL`;
  if (e.skipped) return `Skipped: ${e.skipped}.\n\nShape when it runs: ${shape}.`;
  const sides = [e.ejabberd, e.server].filter((s) => s !== undefined);
  const rows = sides.map((s) => {
    const st = s.step;
    return [
      s.label,
      s.cores,
      `${s.run.connected}/${s.run.clients}`,
      `${st.delivered}/${st.expected}`,
      st.deliveriesPerSec,
      st.serverCpuPct,
      s.cpuMsPerDelivery,
      Math.round((st.dbCpuSeconds / st.serverCpuSeconds) * 100) / 100,
      s.cpuMsPerDeliveryWithDb,
      `${st.latency.p50} / ${st.latency.p95} / ${st.latency.p99} / ${st.latency.max}`,
      `${st.ack.p50} / ${st.ack.p99}`,
      st.generatorCpuPct,
      st.saturated ?? 'no',
    ];
  });
  return `${shape}. Generator (one worker process per 500 clients) on core ${e.generatorCores}; PostgreSQL unpinned.\n\n${table(
    [
      'server',
      'server cores',
      'connected',
      'delivered/expected',
      'deliveries/s',
      'server CPU %',
      'CPU ms / delivery',
      'PostgreSQL CPU ÷ server CPU',
      'CPU ms / delivery with PostgreSQL',
      'latency p50 / p95 / p99 / max ms',
      'ack p50 / p99 ms',
      'generator CPU %',
      'saturated',
    ],
    rows,
  )}

- CPU per delivery = the server process's CPU over the measured step (sending and draining, from
  \`/proc/<pid>/stat\`) ÷ deliveries. With PostgreSQL: plus the CPU of the processes named \`postgres\`
  (postmaster, WAL writer, checkpointer, background writer, autovacuum, and the backends connected to the
  bench database; backends of other databases, told by their process title, are left out) over the same
  interval, from \`/proc/<pid>/stat\` at the start and the end of the step (a backend forked meanwhile
  counts from zero).
- Deliveries count every occupant, the sender included, on both sides: ejabberd's MUC reflects each
  message to its sender, this server emits \`new-message\` to the sender's socket too. Expected = acked
  sends × connected room members. ejabberd's "ack" is that reflection (the room has archived the message
  with mod_mam and broadcast it), matched by message id; this server's is the \`send-message\` ack.
- ejabberd: a private node from a generated config (bench/results/tmp/ejabberd/), users registered and
  rooms created (persistent, \`mam: true\`) with its \`register\` and \`create_room_with_opts\` commands over
  mod_http_api; \`auth_method: sql\`, \`default_db: sql\` (mod_muc and mod_mam on SQL, \`new_sql_schema\`),
  its tables in schema \`ejabberd\` of the bench database; clients (@xmpp/client, plain TCP on 127.0.0.1,
  SASL PLAIN) join with \`<history maxstanzas='0'/>\` and send \`groupchat\` messages whose body carries
  the send time. No stream management, no TLS, no shapers.
- This server: the fan-out scenario's setup at this size (public rooms, \`clientId\` on every send).`;
}

export function pushMd(r: PushResult): string {
  const rows = (['plain', 'push'] as const).map((mode) => {
    const x = r[mode];
    return [
      mode === 'push'
        ? `push on: ${r.members} offline members subscribed, level all`
        : `no subscriptions, ${r.members} members`,
      x.reqPerSec,
      `${x.latency.p50} / ${x.latency.p99}`,
      x.serverCpuPct,
      x.jobsQueued,
      x.non2xx + x.errors,
    ];
  });
  return `REST sends (\`POST /api/messages\`) by ${r.senders} senders into ${r.rooms} rooms per mode, autocannon with ${r.connections} keep-alive connections to saturation; the measured node queues push jobs in the send statement and runs none (JOBS_WORKER=false).\n\n${table(
    ['rooms', 'sends/s', 'p50 / p99 ms', 'server CPU %', 'jobs queued', 'non-2xx + errors'],
    rows,
  )}`;
}
