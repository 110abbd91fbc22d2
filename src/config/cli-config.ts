import { ConfigError, loadConfig, type Config } from './config.js';
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
