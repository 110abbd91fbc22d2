import type { Config } from './config/config.js';
import type { Database, Db } from './db/client.js';
import type { Logger } from './logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Broadcaster } from './realtime/broadcaster.js';
import type { TokenSigner } from './modules/auth/tokens.js';

/** What services need from the outside world, built once per app instance. */
export interface AppContext {
  config: Config;
  log: Logger;
  database: Database;
  db: Db;
  signer: TokenSigner;
  broadcaster: Broadcaster;
  metrics: Metrics;
}

/** The caller, as established from a verified access token and a live session. */
export interface Actor {
  userId: string;
  sessionId: string;
  username: string;
}
