// Runs the migrations alone, for deploy pipelines: `npm run migrate` (or `npm run migrate:prod` when built).
import { cliConfig } from '../config/cli-config.js';
import { openDatabase } from './client.js';

const config = cliConfig();
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
