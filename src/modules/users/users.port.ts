import * as repo from './users.repo.js';

/**
 * The users feature's surface for other features, besides UsersService: the account rows that auth
 * (sign-up, sign-in, password), rooms (members) and files (avatars) read or write, as functions that take
 * the caller's executor. users.repo is private to this folder (eslint.config.js, tests/architecture).
 */

/** The account's own view, with email (what sign-in and my profile return). */
export { toOwnUser, type OwnUser } from './users.presenter.js';

/** A new account; a taken username or email fails with the unique violation (CONFLICT). */
export const insertUser = repo.insertUser;

/** The account row by id, or undefined. */
export const findUserById = repo.findUserById;

/** The account by email or username, case-insensitively (sign-in), or undefined. */
export const findUserByLogin = repo.findUserByLogin;

/** Records a sign-in or refresh (`lastSeenAt` in admin lists). */
export const touchLastSeen = repo.touchLastSeen;

/** Replaces the account's password hash; false when there is no such account. */
export const updatePasswordHash = repo.updatePasswordHash;

/**
 * Sets the account's avatar and returns the key it replaced, read under the row lock in the same
 * transaction (two concurrent uploads each get a distinct old key to delete); undefined for no account.
 */
export const updateUserAvatar = repo.updateUserAvatar;

/**
 * Blocking (SPEC "Blocking"), the rule for direct rooms: `directBlockedSql` is the condition the send
 * statement embeds, `isDirectBlocked` the same asked alone; `blockedEitherWay` for opening a direct room.
 */
export { blockedEitherWay, directBlockedSql, isDirectBlocked } from './blocks.repo.js';
