import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { loadDotEnv } from './config/dotenv.js';
import { openDatabase } from './db/client.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { createLogger } from './logger.js';

function readConfig(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const startedAt = performance.now();
// Everything this process creates (the embedded database, uploads, the generated secret) is the
// server user's alone: directories 0700, files 0600.
process.umask(0o077);
const config = readConfig();
const log = createLogger(config);
if (config.jwtSecretFile)
  log.warn(
    { path: config.jwtSecretFile.path },
    config.jwtSecretFile.created
      ? 'JWT_SECRET is not set: generated a random secret and kept it in DATA_DIR'
      : 'JWT_SECRET is not set: using the secret generated earlier in DATA_DIR',
  );

const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  poolMax: config.DATABASE_POOL_MAX,
}).catch((err: unknown) => {
  if (!(err instanceof DataDirInUseError)) throw err;
  log.fatal(err.message);
  process.exit(1);
});
await database.migrate();
const { server, close } = await createApp({ config, log, database });

server.once('error', (err: NodeJS.ErrnoException) => {
  log.fatal(
    { err: err.message, port: config.PORT },
    err.code === 'EADDRINUSE'
      ? `port ${config.PORT} is in use: set PORT to another one`
      : 'cannot listen',
  );
  void database.close().finally(() => process.exit(1));
});
server.listen(config.PORT, config.HOST, () => {
  const { port } = server.address() as AddressInfo;
  log.info(
    {
      host: config.HOST,
      port,
      database: database.driver,
      startupMs: Math.round(performance.now() - startedAt),
    },
    `chat backend listening on http://localhost:${port}`,
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: draining connections');
  const force = setTimeout(() => {
    log.error('shutdown timed out; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  force.unref();
  try {
    await close();
    await database.close();
    log.info('shutdown complete');
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
