// Runs the migrations alone, for deploy pipelines: `npm run migrate` (or `npm run migrate:prod` when built).
import { cliConfig, cliDatabase } from '../config/cli-config.js';

const config = cliConfig();
const database = await cliDatabase(config);
try {
  await database.migrate();
  process.stdout.write(`migrations applied (${database.driver})\n`);
} finally {
  await database.close();
}
