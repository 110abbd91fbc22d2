/**
 * `npm run bench -- [scenario...] [--quick] [--profile] [flags]`: starts the server (and the baseline
 * relay) as child processes on a fresh PostgreSQL database, drives them from worker processes, and
 * writes bench/results/<date>.{json,md,svg} plus latest.*. See bench/README.md.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ScenarioName } from './lib/args.js';
import { createContext, type BenchContext } from './lib/context.js';
import { createBenchDb, migrate, type BenchDb } from './lib/db.js';
import { dropEjabberdRole } from './lib/ejabberd.js';
import { killAll, platform, setupPlatform, TMP } from './lib/proc.js';
import { printSummary, writeReport, type Report } from './lib/report.js';
import { evaluateTargets } from './lib/targets.js';
import { cleanRedis, clusterScenario } from './scenarios/cluster.js';
import { connectionsScenario } from './scenarios/connections.js';
import { ejabberdScenario } from './scenarios/ejabberd.js';
import { pushScenario } from './scenarios/push.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { historyScenario } from './scenarios/history.js';
import { loginScenario } from './scenarios/login.js';
import { persistenceScenario } from './scenarios/persistence.js';
import { restScenario } from './scenarios/rest.js';

type Print = (line: string) => void;
const SCENARIO_RUNNERS: Record<
  ScenarioName,
  (ctx: BenchContext, print: Print) => Promise<unknown>
> = {
  persistence: persistenceScenario,
  fanout: fanoutScenario,
  connections: connectionsScenario,
  history: historyScenario,
  rest: restScenario,
  login: loginScenario,
  cluster: clusterScenario,
  ejabberd: ejabberdScenario,
  push: pushScenario,
};

let opts: ReturnType<typeof parseArgs>;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

const startedAt = new Date();
const t0 = performance.now();
const print: Print = (line) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);

let db: BenchDb | undefined;
let ctx: BenchContext | undefined;
let cleaned: Promise<void> | undefined;
let interrupted = false;

/** Ends every child process we started, removes the run's Redis keys and drops the bench database. */
function cleanup(): Promise<void> {
  cleaned ??= (async () => {
    await killAll();
    if (ctx && opts.scenarios.includes('cluster')) {
      await Promise.race([
        cleanRedis(ctx.redisUrl, ctx.redisPrefix).catch(() => 0),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    }
    if (db && !opts.keepDb) {
      await db.drop().catch((err: unknown) => console.error(`could not drop ${db?.name}:`, err));
      print(`database ${db.name} dropped`);
      // The ejabberd scenario's role, if it was interrupted before dropping it itself.
      if (opts.scenarios.includes('ejabberd'))
        await dropEjabberdRole(opts.databaseUrl, db.name).catch((err: unknown) =>
          console.error(`could not drop the ejabberd role:`, err),
        );
    }
  })();
  return cleaned;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    print(`${signal}: stopping children and dropping the bench database`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  setupPlatform();
  rmSync(join(TMP, 'prof'), { recursive: true, force: true });
  print(
    platform.serverCores
      ? `pinned with taskset: servers on core(s) ${platform.serverCores}, generator processes on core ${platform.generatorCores}`
      : 'taskset not available (or one core): processes are not pinned',
  );
  const load = loadavg()[0]!;
  if (load > platform.cpus * 0.5)
    print(
      `WARNING: load average ${load.toFixed(1)} on ${platform.cpus} cores: other processes compete, figures will be noisy`,
    );
  print(
    `open-file limit ${platform.nofile}; scenarios: ${opts.scenarios.join(', ')}${opts.quick ? ' (quick)' : ''}`,
  );
  db = await createBenchDb(opts.databaseUrl);
  print(`database ${db.name} created; migrating`);
  await migrate(db.url);
  ctx = createContext(opts, db);
  const { rows } = await db.pool.query<{ v: string }>(
    `select current_setting('server_version') as v`,
  );
  const loadStart = loadavg();
  const results: Record<string, unknown> = {};
  const failures: Report['failures'] = [];
  for (const name of opts.scenarios) {
    if (interrupted) return;
    print(`=== ${name}`);
    try {
      results[name] = await SCENARIO_RUNNERS[name](ctx, print);
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ scenario: name, error: error.split('\n').slice(0, 3).join(' ') });
      print(`!! ${name} failed: ${error}`);
      await killAll();
    }
  }
  if (interrupted) return;
  const targets = evaluateTargets(results as Report['results'], { clients: opts.clients });
  const { databaseUrl: _omit, ...shownOptions } = opts;
  const report: Report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
    mode: opts.quick ? 'quick' : 'full',
    options: shownOptions,
    environment: {
      node: process.version,
      cpus: platform.cpus,
      pinning: platform.serverCores
        ? `taskset: servers on ${platform.serverCores}, generators on ${platform.generatorCores}`
        : 'none',
      openFileLimit: platform.nofile,
      postgres: rows[0]?.v ?? '?',
      database: `${db.name} (dropped after the run)`,
      databasePoolMax: process.env.DATABASE_POOL_MAX || '20',
      serverEnv: 'NODE_ENV=production LOG_LEVEL=warn, rate limits raised to 1e9',
      loadAverageAtStart: loadStart.map((l) => l.toFixed(2)).join(' '),
      loadAverageAtEnd: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    },
    results: results as Report['results'],
    targets,
    failures,
    profiles: ctx.profiles,
  };
  const paths = writeReport(report);
  printSummary(targets);
  console.log(`\nreport: ${paths.join(', ')} (and bench/results/latest.*)`);
  if (failures.length) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
