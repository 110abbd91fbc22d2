import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/client.js';
import {
  activityTotals,
  dailyActivity,
  utcDayOf,
  type ActivityTotals,
  type DayActivity,
} from '../modules/admin/admin.port.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  socketEvents: Counter<'event'>;
  messagesSent: Counter;
  dbQueryDuration: Histogram;
  httpMiddleware: RequestHandler;
  /** One client → server event, by its declared name (or `other`). */
  countSocketEvent(event: string): void;
}

/** One registry per app instance (tests run several in one process), with Node's default metrics. */
export function createMetrics(database: Database, socketCount: () => number): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const socketEvents = new Counter({
    name: 'socket_events_total',
    help: 'Client to server Socket.io events received, by name',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const messagesSent = new Counter({
    name: 'messages_sent_total',
    help: 'Messages stored (not counting idempotent retries)',
    registers: [registry],
  });
  const dbQueryDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Duration of database queries outside transactions',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: 'socket_connections',
    help: 'Socket.io connections open on this node',
    registers: [registry],
    collect() {
      this.set(socketCount());
    },
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  activityGauges(registry, database);
  database.onQuery((seconds) => dbQueryDuration.observe(seconds));

  const httpMiddleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      // The route pattern, never the raw URL: ids in paths would explode the label set.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  return {
    registry,
    httpDuration,
    socketEvents,
    messagesSent,
    dbQueryDuration,
    httpMiddleware,
    countSocketEvent(event) {
      socketEvents.inc({ event });
    },
  };
}

interface Activity {
  totals: ActivityTotals;
  today: DayActivity;
}

/**
 * The activity figures of `GET /admin/stats` (the totals, and today's UTC day) as gauges, read from
 * the database at scrape time by the same two statements. A scrape starts every gauge's `collect()`
 * at once, so they share one read; a failed read reports NaN (unknown) rather than failing the scrape.
 */
function activityGauges(registry: Registry, database: Database): void {
  let pending: Promise<Activity | undefined> | undefined;
  const read = (): Promise<Activity | undefined> => {
    pending ??= (async () => {
      const day = utcDayOf(new Date());
      const [totals, [today]] = await Promise.all([
        activityTotals(database.db),
        dailyActivity(database.db, { from: day, to: day }),
      ]);
      return { totals, today: today! };
    })()
      .catch(() => undefined)
      .finally(() => (pending = undefined));
    return pending;
  };
  const gauges: [string, string, (a: Activity) => number][] = [
    ['chat_users', 'Accounts, deactivated ones included', (a) => a.totals.users],
    ['chat_rooms', 'Rooms, private and direct ones included', (a) => a.totals.rooms],
    ['chat_messages', 'Live (not deleted) text and file messages', (a) => a.totals.messages],
    ['chat_storage_bytes', 'Bytes of the uploaded files kept', (a) => a.totals.storageBytes],
    ['chat_messages_today', 'Text and file messages sent today (UTC)', (a) => a.today.messages],
    ['chat_active_senders_today', 'Distinct senders today (UTC)', (a) => a.today.activeSenders],
    ['chat_new_users_today', 'Accounts created today (UTC)', (a) => a.today.newUsers],
    ['chat_uploads_today', 'Files uploaded today (UTC) and kept', (a) => a.today.uploads],
    ['chat_upload_bytes_today', 'Bytes of those files', (a) => a.today.uploadBytes],
  ];
  for (const [name, help, value] of gauges)
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const activity = await read();
        this.set(activity ? value(activity) : Number.NaN);
      },
    });
}
