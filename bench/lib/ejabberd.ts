/**
 * A private ejabberd for the peer comparison: found from its `ejabberdctl` (Debian: package `ejabberd`,
 * plus `erlang-p1-pgsql` for its PostgreSQL driver), run from a generated config in
 * bench/results/tmp/ejabberd/ with its own Mnesia spool, Erlang node name, cookie and distribution port
 * (no epmd), listening on 127.0.0.1 only: client-to-server and the HTTP command API, no s2s. MUC rooms
 * (mod_muc) and their archive (mod_mam) live in the bench database, in a schema `ejabberd` owned by a
 * role of the run, since ejabberd's tables (`users` among them) would collide with the app's.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import type { BenchContext } from './context.js';
import { freePort, sleep, spawnServer, stopChild, TMP, type NodeProcess } from './proc.js';

export interface EjabberdInstall {
  ctl: string;
  erl: string;
  erlLibs: string;
  schema: string;
  version: string;
}

export type EjabberdLookup = { install: EjabberdInstall } | { missing: string };

const INSTALL_HINT =
  'install it with `apt-get install -y ejabberd erlang-p1-pgsql` (or set EJABBERD_BIN to its ejabberdctl)';

function findCtl(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/opt/ejabberd/bin',
  ];
  return dirs.map((d) => join(d, 'ejabberdctl')).find((p) => existsSync(p));
}

/** A shell variable's literal value in ejabberdctl (`ERL="/usr/bin/erl"`), if it has no expansion. */
function scriptValue(script: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*${name}=["']?([^"'\\s]+)["']?\\s*$`, 'm').exec(script);
  return m && !m[1]!.includes('$') ? m[1] : undefined;
}

/**
 * Finds ejabberd: its ejabberdctl (EJABBERD_BIN, else PATH, /usr/sbin, /usr/local/sbin,
 * /opt/ejabberd/bin), the `erl` and ERL_LIBS that script uses, then asks that Erlang whether the
 * ejabberd application and the PostgreSQL driver (module `pgsql`) load, and where the PostgreSQL schema
 * is. Returns why not when anything is missing.
 */
export function findEjabberd(): EjabberdLookup {
  const ctl = process.env.EJABBERD_BIN || findCtl();
  if (!ctl) return { missing: `ejabberdctl not found; ${INSTALL_HINT}` };
  if (!existsSync(ctl)) return { missing: `EJABBERD_BIN=${ctl} not found; ${INSTALL_HINT}` };
  const script = readFileSync(ctl, 'utf8');
  const erl = scriptValue(script, 'ERL') ?? 'erl';
  const erlLibs = scriptValue(script, 'ERL_LIBS') ?? '';
  let probe: string;
  try {
    probe = execFileSync(
      erl,
      [
        '-noshell',
        '-eval',
        `application:load(ejabberd),
         V = case application:get_key(ejabberd, vsn) of {ok, X} -> X; _ -> "?" end,
         P = case code:priv_dir(ejabberd) of {error, _} -> ""; D -> D end,
         io:format("~s|~s|~s|~s~n", [code:which(ejabberd), code:which(pgsql), V, P]),
         halt().`,
      ],
      { env: { ...process.env, ERL_LIBS: erlLibs }, timeout: 30_000, encoding: 'utf8' },
    ).trim();
  } catch (err) {
    return {
      missing: `could not run ${erl} (from ${ctl}): ${(err as Error).message.slice(0, 120)}`,
    };
  }
  const [ejabberdBeam, pgsqlBeam, version = '?', priv = ''] = probe.split('|');
  if (ejabberdBeam === 'non_existing')
    return { missing: `${ctl} found, but Erlang cannot load ejabberd (ERL_LIBS=${erlLibs})` };
  if (pgsqlBeam === 'non_existing')
    return {
      missing:
        "ejabberd's PostgreSQL driver (Erlang module pgsql) is not installed: `apt-get install -y erlang-p1-pgsql`",
    };
  // Debian keeps the SQL schemas in /usr/share/ejabberd/sql rather than in the application's priv/.
  const schema = [
    ...(priv ? [join(priv, 'sql/pg.new.sql')] : []),
    '/usr/share/ejabberd/sql/pg.new.sql',
  ].find((p) => existsSync(p));
  if (!schema) return { missing: `ejabberd ${version}: PostgreSQL schema pg.new.sql not found` };
  return { install: { ctl, erl, erlLibs, schema, version } };
}

/** Other ejabberd nodes on this machine (the system service, say): they would compete for the cores. */
export function otherEjabberdPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('beam') && /\0-s\0ejabberd\b/.test(cmd)) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

const quote = (s: string) => JSON.stringify(s);
const roleOf = (dbName: string) => `${dbName}_ejabberd`;

/** Drops the run's ejabberd role (after its database is gone, or its schema dropped). */
export async function dropEjabberdRole(adminUrl: string, dbName: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP ROLE IF EXISTS ${roleOf(dbName)}`);
  } finally {
    await c.end();
  }
}

export interface EjabberdInstance {
  node: NodeProcess;
  domain: string;
  mucService: string;
  /** `xmpp://127.0.0.1:<c2s port>` */
  c2sUrl: string;
  /** Runs an ejabberd command (`register`, `create_room_with_opts`...) through mod_http_api. */
  command(name: string, args: Record<string, unknown>): Promise<unknown>;
  /** Stops the node, then drops its schema and role (unless --keep-db). */
  stop(): Promise<void>;
}

function config(o: {
  domain: string;
  mucService: string;
  c2sPort: number;
  httpPort: number;
  db: URL;
  role: string;
  password: string;
}): string {
  return `# Generated by bench/lib/ejabberd.ts for one bench run.
hosts:
  - ${quote(o.domain)}
loglevel: warning
hide_sensitive_log_data: true
listen:
  -
    port: ${o.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    backlog: 1024
    max_stanza_size: 262144
    access: c2s
  -
    port: ${o.httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
sql_type: pgsql
sql_server: ${quote(o.db.hostname || '127.0.0.1')}
sql_port: ${Number(o.db.port || 5432)}
sql_database: ${quote(o.db.pathname.slice(1))}
sql_username: ${quote(o.role)}
sql_password: ${quote(o.password)}
new_sql_schema: true
default_db: sql
auth_method: sql
auth_password_format: scram
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
api_permissions:
  "bench setup":
    from:
      - ejabberd_ctl
      - mod_http_api
    who:
      acl: loopback
    what: "*"
modules:
  mod_muc:
    host: ${quote(o.mucService)}
    db_type: sql
    access: all
    access_create: all
    access_persistent: all
    default_room_options:
      mam: true
      persistent: true
  mod_muc_admin: {}
  mod_mam:
    db_type: sql
    default: never
`;
}

/**
 * Creates the role and schema, loads ejabberd's PostgreSQL schema (the "new" multi-host one, matching
 * `new_sql_schema: true`), writes the config and starts the node pinned like the app's server; resolves
 * once the command API answers.
 */
export async function startEjabberd(
  ctx: BenchContext,
  install: EjabberdInstall,
  print: (l: string) => void,
): Promise<EjabberdInstance> {
  const role = roleOf(ctx.db.name);
  const password = randomBytes(16).toString('hex');
  const admin = new pg.Client({ connectionString: ctx.db.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE SCHEMA ejabberd AUTHORIZATION ${role}`);
    await admin.query(`ALTER ROLE ${role} IN DATABASE ${ctx.db.name} SET search_path = ejabberd`);
    await admin.query(`SET ROLE ${role}; SET search_path = ejabberd`);
    await admin.query(readFileSync(install.schema, 'utf8'));
  } finally {
    await admin.end();
  }
  const dir = join(TMP, 'ejabberd');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'spool'), { recursive: true });
  const [c2sPort, httpPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const domain = 'bench.localhost';
  const mucService = `conference.${domain}`;
  const configPath = join(dir, 'ejabberd.yml');
  writeFileSync(
    configPath,
    config({
      domain,
      mucService,
      c2sPort,
      httpPort,
      db: new URL(ctx.db.url),
      role,
      password,
    }),
  );
  const nodeName = `ejabberd_bench_${process.pid}@localhost`;
  // What `ejabberdctl foreground` runs, without its switch to the ejabberd user and without epmd: the
  // node listens for distribution on its own port, so `ejabberdctl --node <name>` with ERL_DIST_PORT
  // and the cookie (see ejabberdctl.cfg in the directory) can still reach it.
  const cookie = randomBytes(16).toString('hex');
  writeFileSync(
    join(dir, 'ejabberdctl.cfg'),
    `ERL_DIST_PORT=${distPort}\nERL_OPTIONS="-setcookie ${cookie}"\n`,
    { mode: 0o600 },
  );
  const child = spawnServer(
    'ejabberd',
    install.erl,
    [
      '-sname',
      nodeName,
      '-setcookie',
      cookie,
      '+K',
      'true',
      '+P',
      '250000',
      '-env',
      'ERL_CRASH_DUMP_BYTES',
      '0',
      '-noinput',
      '-start_epmd',
      'false',
      '-erl_epmd_port',
      String(distPort),
      '-kernel',
      'inet_dist_use_interface',
      '{127,0,0,1}',
      '-mnesia',
      'dir',
      quote(join(dir, 'spool')),
      '-s',
      'ejabberd',
    ],
    {
      EJABBERD_CONFIG_PATH: configPath,
      EJABBERD_LOG_PATH: join(dir, 'ejabberd.log'),
      ERL_LIBS: install.erlLibs,
      ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
      ERL_MAX_PORTS: '32000',
      ERL_MAX_ETS_TABLES: '1400',
      HOME: dir,
    },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  const apiUrl = `http://127.0.0.1:${httpPort}/api`;
  const command = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
    const res = await fetch(`${apiUrl}/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`ejabberd ${name}: ${res.status} ${body.slice(0, 200)}`);
    return JSON.parse(body) as unknown;
  };
  const dropDb = async () => {
    if (ctx.opts.keepDb) return;
    const c = new pg.Client({ connectionString: ctx.db.url });
    await c.connect();
    try {
      await c.query('DROP SCHEMA IF EXISTS ejabberd CASCADE');
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await c.end();
    }
  };
  const node: NodeProcess = {
    name: 'ejabberd',
    port: c2sPort,
    url: `xmpp://127.0.0.1:${c2sPort}`,
    child,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await dropDb().catch(() => {});
      throw new Error(
        `ejabberd exited during start: see ${join(TMP, 'ejabberd.log')} and ${join(dir, 'ejabberd.log')}`,
      );
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      await dropDb().catch(() => {});
      throw new Error(`ejabberd did not answer ${apiUrl}/status within 60 s`);
    }
    try {
      await command('status', {});
      break;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  print(
    `[ejabberd] ${install.version} node ${nodeName} (pid ${node.pid}) on 127.0.0.1:${c2sPort}, ` +
      `MUC and MAM in ${ctx.db.name} schema ejabberd (role ${role}); logs in ${dir}`,
  );
  return {
    node,
    domain,
    mucService,
    c2sUrl: node.url,
    command,
    async stop() {
      await stopChild(child);
      await dropDb();
    },
  };
}
