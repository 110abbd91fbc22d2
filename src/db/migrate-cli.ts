// Runs the migrations alone, for deploy pipelines: `npm run migrate`.
import { loadConfig } from '../config/config.js';
import { loadDotEnv } from '../config/dotenv.js';
import { openDatabase } from './client.js';

loadDotEnv();
const config = loadConfig();
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
