/** Command line: `npm run bench -- [scenario...] [--quick] [--profile] [--clients N] ...`. */
export const SCENARIOS = [
  'persistence',
  'fanout',
  'connections',
  'history',
  'rest',
  'login',
  'cluster',
  'ejabberd',
  'push',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Options {
  scenarios: ScenarioName[];
  quick: boolean;
  profile: boolean;
  keepDb: boolean;
  databaseUrl: string;
  /** fanout / cluster */
  clients: number;
  rooms: number;
  /** Seconds per load step (fanout, cluster), per endpoint (history), per loop (persistence). */
  duration: number;
  rates: number[];
  clusterRates: number[];
  clientId: boolean;
  /** connections */
  sockets: number;
  tokenUsers: number;
  /** history */
  messages: number;
  historyRooms: number;
  memberRooms: number;
  httpConnections: number;
  /** login */
  loginRate: number;
  loginDuration: number;
  loginUsers: number;
  /** ejabberd: the peer comparison's shape, run against ejabberd and against this server. */
  ejabberdClients: number;
  ejabberdRoomSize: number;
  ejabberdRate: number;
}

const FULL = {
  clients: 1000,
  rooms: 100,
  duration: 10,
  rates: [250, 500, 1000, 2000, 4000],
  clusterRates: [250, 500, 1000, 2000, 4000],
  sockets: 20_000,
  tokenUsers: 300,
  messages: 1_000_000,
  historyRooms: 1000,
  memberRooms: 100,
  httpConnections: 10,
  loginRate: 200,
  loginDuration: 20,
  loginUsers: 100,
  ejabberdClients: 400,
  ejabberdRoomSize: 10,
  ejabberdRate: 200,
};

const QUICK: typeof FULL = {
  clients: 200,
  rooms: 20,
  duration: 2,
  rates: [250, 1000, 2000],
  clusterRates: [500, 2000],
  sockets: 2000,
  tokenUsers: 50,
  messages: 100_000,
  historyRooms: 100,
  memberRooms: 20,
  httpConnections: 10,
  loginRate: 200,
  loginDuration: 3,
  loginUsers: 20,
  ejabberdClients: 400,
  ejabberdRoomSize: 10,
  ejabberdRate: 200,
};

const NUMERIC: Record<string, keyof typeof FULL> = {
  '--clients': 'clients',
  '--rooms': 'rooms',
  '--duration': 'duration',
  '--sockets': 'sockets',
  '--token-users': 'tokenUsers',
  '--messages': 'messages',
  '--history-rooms': 'historyRooms',
  '--member-rooms': 'memberRooms',
  '--connections': 'httpConnections',
  '--login-rate': 'loginRate',
  '--login-duration': 'loginDuration',
  '--login-users': 'loginUsers',
  '--ejabberd-clients': 'ejabberdClients',
  '--ejabberd-room-size': 'ejabberdRoomSize',
  '--ejabberd-rate': 'ejabberdRate',
};

export const USAGE = `usage: npm run bench -- [${SCENARIOS.join('|')} ...] [--quick] [--profile] [--keep-db]
  --clients N --rooms N --duration S --rates 250,500 --cluster-rates 500,2000 --no-client-id
  --sockets N --token-users N --messages N --history-rooms N --member-rooms N --connections N
  --login-rate N --login-duration S --login-users N
  --ejabberd-clients N --ejabberd-room-size N --ejabberd-rate N`;

function positive(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!raw || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
  return n;
}

function rateList(flag: string, raw: string | undefined): number[] {
  const list = (raw ?? '').split(',').map((s) => positive(flag, s.trim()));
  return list.sort((a, b) => a - b);
}

export function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const base = { ...(quick ? QUICK : FULL) };
  const scenarios: ScenarioName[] = [];
  const opts = {
    quick,
    profile: false,
    keepDb: false,
    clientId: true,
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') continue;
    else if (flag === '--profile') opts.profile = true;
    else if (flag === '--keep-db') opts.keepDb = true;
    else if (flag === '--no-client-id') opts.clientId = false;
    else if (flag === '--rates') base.rates = rateList(flag, value());
    else if (flag === '--cluster-rates') base.clusterRates = rateList(flag, value());
    else if (flag && flag in NUMERIC) base[NUMERIC[flag]!] = positive(flag, value()) as never;
    else if ((SCENARIOS as readonly string[]).includes(arg)) scenarios.push(arg as ScenarioName);
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (base.rooms > base.clients) throw new Error('--rooms must not exceed --clients');
  if (base.ejabberdRoomSize > base.ejabberdClients)
    throw new Error('--ejabberd-room-size must not exceed --ejabberd-clients');
  base.memberRooms = Math.min(base.memberRooms, base.historyRooms);
  return { ...base, ...opts, scenarios: scenarios.length ? scenarios : [...SCENARIOS] };
}
