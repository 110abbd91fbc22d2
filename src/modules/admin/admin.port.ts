/**
 * The admin feature's surface outside it: the shell command (`npm run admin`) changes roles and records
 * it like any administration action; /metrics reads the activity figures of `GET /admin/stats`.
 */
export { setRoleByUsername } from './admin.repo.js';
/** A user's instance role, read from the database (undefined when deactivated or unknown). */
export { activeRoleOf as instanceRoleOf } from './admin.repo.js';
export { appendAudit } from './audit.js';
export {
  activityTotals,
  dailyActivity,
  type ActivityTotals,
  type DayActivity,
} from './stats.repo.js';
export { utcDayOf } from './stats.range.js';
