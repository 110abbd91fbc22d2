import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from '../db/client.js';
import { DataDirInUseError } from '../db/data-dir-lock.js';
import { loadDotEnv } from './dotenv.js';

/**
 * The configuration of a command run from the server's shell (`npm run migrate`, `npm run admin`): the
 * same as `npm start` (.env, then the environment); a bad one is printed and the process exits 1.
 * Like the server, whatever it creates (the embedded database, a generated secret) is private.
 */
export function cliConfig(): Config {
  process.umask(0o077);
  loadDotEnv();
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/**
 * The database of a shell command, as `npm start` opens it. The embedded one, held by a running server,
 * is refused with a message saying so (and exit 1): PGlite serves one process at a time.
 */
export async function cliDatabase(config: Config): Promise<Database> {
  try {
    return await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2 });
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
