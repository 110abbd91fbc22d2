// Runs the migrations alone, for deploy pipelines: `npm run migrate` (or `npm run migrate:prod` when built).
import { ConfigError, loadConfig } from '../config/config.js';
import { loadDotEnv } from '../config/dotenv.js';
import { openDatabase } from './client.js';

// Like the server: the embedded database (and a generated secret) are the server user's alone.
process.umask(0o077);
loadDotEnv();
let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  poolMax: 2,
});
try {
  await database.migrate();
  process.stdout.write(`migrations applied (${database.driver})\n`);
} finally {
  await database.close();
}
