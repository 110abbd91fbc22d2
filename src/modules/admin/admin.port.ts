/**
 * The admin feature's surface outside it: the shell command (`npm run admin`) changes roles and records
 * it like any administration action.
 */
export { setRoleByUsername } from './admin.repo.js';
export { appendAudit } from './audit.js';
