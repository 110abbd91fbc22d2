import { mapLimit } from '../lib/api.js';
import type { BenchContext } from '../lib/context.js';
import { findEjabberd, otherEjabberdPids, startEjabberd } from '../lib/ejabberd.js';
import { runFanout, type FanoutRun, type StepResult } from '../lib/fanout-engine.js';
import { allowedCores, platform } from '../lib/proc.js';
import type { ClientSpec } from '../lib/protocol.js';
import { fanoutClients, fanoutSetup } from './fanout.js';

/** One server's side of the comparison: the measured step (the last one) and its costs. */
export interface PeerSide {
  label: string;
  /** The cores the server process may run on (its Cpus_allowed_list). */
  cores: string;
  run: FanoutRun;
  step: StepResult;
  /** Server process CPU ms / deliveries. */
  cpuMsPerDelivery: number;
  /** (Server process + every PostgreSQL process) CPU ms / deliveries. */
  cpuMsPerDeliveryWithDb: number;
}

export interface EjabberdResult {
  /** Why the scenario did not run (ejabberd not installed...), or null. */
  skipped: string | null;
  clients: number;
  roomSize: number;
  rooms: number;
  rate: number;
  durationS: number;
  generatorCores: string;
  ejabberdVersion?: string;
  ejabberd?: PeerSide;
  server?: PeerSide;
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

function side(label: string, cores: string, run: FanoutRun): PeerSide {
  const step = run.steps.at(-1);
  if (!step) throw new Error(`${label}: no step measured`);
  const per = (cpuSeconds: number) =>
    step.delivered ? round((cpuSeconds * 1000) / step.delivered, 4) : NaN;
  return {
    label,
    cores,
    run,
    step,
    cpuMsPerDelivery: per(step.serverCpuSeconds),
    cpuMsPerDeliveryWithDb: per(step.serverCpuSeconds + step.dbCpuSeconds),
  };
}

/**
 * ejabberd side by side with this server, one run, one machine: `ejabberdClients` clients in rooms of
 * `ejabberdRoomSize`, `ejabberdRate` messages/s, every message stored (ejabberd: MUC room with mod_mam on
 * SQL; this server: its messages table), both in the bench's PostgreSQL. Each runs a warm-up step and
 * then the measured step at the same rate, `duration` seconds each. Skips itself, without failing the
 * run, when ejabberd is not installed.
 */
export async function ejabberdScenario(
  ctx: BenchContext,
  print: (l: string) => void,
): Promise<EjabberdResult> {
  const { ejabberdClients: clients, ejabberdRoomSize: roomSize, ejabberdRate: rate } = ctx.opts;
  const rooms = Math.ceil(clients / roomSize);
  const result: EjabberdResult = {
    skipped: null,
    clients,
    roomSize,
    rooms,
    rate,
    durationS: ctx.opts.duration,
    generatorCores: platform.generatorCores || 'unpinned',
  };
  const found = findEjabberd();
  if ('missing' in found) {
    print(`[ejabberd] skipped: ${found.missing}`);
    return { ...result, skipped: found.missing };
  }
  const { install } = found;
  result.ejabberdVersion = install.version;
  const others = otherEjabberdPids();
  if (others.length)
    print(
      `[ejabberd] WARNING: another ejabberd runs on this machine (pid ${others.join(', ')}); it competes for the cores (stop it: \`ejabberdctl stop\`)`,
    );
  const rates = [rate, rate];
  const common = {
    rates,
    durationS: ctx.opts.duration,
    clientId: ctx.opts.clientId,
    print,
    database: ctx.db.name,
  };

  const ej = await startEjabberd(ctx, install, print);
  try {
    const password = 'bench-password-1';
    const t0 = performance.now();
    const users = Array.from({ length: clients }, (_, i) => `u${i}`);
    await mapLimit(users, 8, (user) => ej.command('register', { user, host: ej.domain, password }));
    const roomJids = await mapLimit(
      Array.from({ length: rooms }, (_, r) => `room${r}`),
      8,
      async (name) => {
        await ej.command('create_room_with_opts', {
          name,
          service: ej.mucService,
          host: ej.domain,
          options: [
            { name: 'persistent', value: 'true' },
            { name: 'mam', value: 'true' },
          ],
        });
        return `${name}@${ej.mucService}`;
      },
    );
    print(
      `[ejabberd] registered ${clients} users and created ${rooms} rooms in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const specs: ClientSpec[] = users.map((username, i) => ({
      url: ej.c2sUrl,
      room: roomJids[i % rooms]!,
      xmpp: { domain: ej.domain, username, password },
    }));
    const run = await runFanout({
      label: 'ejabberd',
      nodes: [ej.node],
      clients: specs,
      worker: 'xmpp-worker.ts',
      ...common,
    });
    result.ejabberd = side(`ejabberd ${install.version}`, allowedCores(ej.node.pid), run);
  } finally {
    await ej.stop();
  }

  const server = await ctx.startServer('ejabberd-peer-server');
  try {
    const setup = await fanoutSetup(ctx, server.url, print, { clients, rooms });
    const run = await runFanout({
      label: 'ejabberd/server',
      nodes: [server],
      clients: fanoutClients(setup, [server.url], true),
      ...common,
    });
    result.server = side('this server', allowedCores(server.pid), run);
  } finally {
    await ctx.stop(server);
  }
  for (const s of [result.ejabberd, result.server]) {
    if (!s) continue;
    print(
      `[ejabberd] ${s.label} (core ${s.cores}): ${s.cpuMsPerDelivery} ms CPU per delivery, ` +
        `${s.cpuMsPerDeliveryWithDb} ms with PostgreSQL, ${s.step.deliveriesPerSec} deliveries/s, ` +
        `delivered ${s.step.delivered}/${s.step.expected}, p50 ${s.step.latency.p50} p99 ${s.step.latency.p99} ms`,
    );
  }
  return result;
}
