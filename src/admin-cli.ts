// `npm run admin -- grant <username>` / `npm run admin -- revoke <username>`: makes a user an instance
// admin or takes it back, from the server's shell, with the same configuration as `npm start` (the
// embedded database in DATA_DIR, or DATABASE_URL). The only way to make the first admin (SPEC
// "Instance admins"). Recorded in the audit log with no actor (the shell).
import { cliConfig, cliDatabase } from './config/cli-config.js';
import { transaction } from './db/tx.js';
import { appendAudit, setRoleByUsername } from './modules/admin/admin.port.js';

const USAGE = 'usage: npm run admin -- grant <username> | revoke <username>';

const [command, username, ...rest] = process.argv.slice(2);
if ((command !== 'grant' && command !== 'revoke') || !username || rest.length > 0) {
  console.error(USAGE);
  process.exit(2);
}
const config = cliConfig();
const database = await cliDatabase(config);
let code = 0;
try {
  await database.migrate();
  const role = command === 'grant' ? 'admin' : 'user';
  const result = await transaction(database.db, async (tx) => {
    const changed = await setRoleByUsername(tx, username, role);
    if (changed && changed.before !== role)
      await appendAudit(tx, {
        actorId: null,
        action: command === 'grant' ? 'admin.grant' : 'admin.revoke',
        targetType: 'user',
        targetId: changed.user.id,
        details: { username: changed.user.username, via: 'cli' },
      });
    return changed;
  });
  const where = config.DATABASE_URL ? 'PostgreSQL' : `the embedded database in ${config.DATA_DIR}`;
  if (!result) {
    console.error(`No user named "${username}" in ${where}: nothing changed.`);
    code = 1;
  } else if (result.before === role) {
    process.stdout.write(
      `${result.user.username} ${role === 'admin' ? 'is already an admin' : 'is not an admin'}: nothing changed (${where}).\n`,
    );
  } else {
    process.stdout.write(
      role === 'admin'
        ? `${result.user.username} is now an instance admin (${where}).\n`
        : `${result.user.username} is no longer an instance admin (${where}).\n`,
    );
  }
} finally {
  await database.close();
}
process.exit(code);
