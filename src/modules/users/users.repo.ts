import { and, asc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { likePrefix } from '../../db/like.js';
import { users, type UserRow, type UserStatus } from '../../db/schema/index.js';

export async function insertUser(
  db: Executor,
  values: { username: string; email: string; passwordHash: string },
): Promise<UserRow> {
  const [row] = await db.insert(users).values(values).returning();
  return row!;
}

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Case-insensitive lookup by email or username, served by the lower() unique indexes. */
export async function findUserByLogin(
  db: Executor,
  identifier: string,
): Promise<UserRow | undefined> {
  const lowered = identifier.toLowerCase();
  const [row] = await db
    .select()
    .from(users)
    .where(or(sql`lower(${users.email}) = ${lowered}`, sql`lower(${users.username}) = ${lowered}`))
    .limit(1);
  return row;
}

export async function updateUserProfile(
  db: Executor,
  id: string,
  patch: { displayName?: string | null; bio?: string | null },
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return row;
}

export async function updateUserStatus(
  db: Executor,
  id: string,
  status: UserStatus,
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ status, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** Replaces a user's password hash. */
export async function updatePasswordHash(
  db: Executor,
  id: string,
  passwordHash: string,
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ passwordHash, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning({ id: users.id });
  return rows.length > 0;
}

/**
 * Sets the avatar and returns the key it replaced, read under the row lock in the same statement, so two
 * concurrent uploads each get a distinct old key to delete.
 */
export async function updateUserAvatar(
  db: Executor,
  id: string,
  avatar: { avatarUrl: string | null; avatarKey: string | null },
): Promise<{ user: UserRow; previousKey: string | null } | undefined> {
  return db.transaction(async (tx) => {
    const [old] = await tx
      .select({ avatarKey: users.avatarKey })
      .from(users)
      .where(eq(users.id, id))
      .for('update');
    if (!old) return undefined;
    const [row] = await tx
      .update(users)
      .set({ ...avatar, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return row ? { user: row, previousKey: old.avatarKey } : undefined;
  });
}

/**
 * Prefix search on username or display name, case-insensitive, ordered by username; the cursor is the
 * last username seen (usernames are unique case-insensitively, so it is a stable keyset).
 */
export async function searchUsers(
  db: Executor,
  params: { q: string; excludeId: string; afterUsername?: string; limit: number },
): Promise<UserRow[]> {
  const pattern = likePrefix(params.q);
  return db
    .select()
    .from(users)
    .where(
      and(
        ne(users.id, params.excludeId),
        or(
          sql`lower(${users.username}) like ${pattern}`,
          sql`lower(${users.displayName}) like ${pattern}`,
        ),
        params.afterUsername
          ? gt(sql`lower(${users.username})`, params.afterUsername.toLowerCase())
          : undefined,
      ),
    )
    .orderBy(asc(sql`lower(${users.username})`))
    .limit(params.limit);
}

export async function findUsersByIds(db: Executor, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(users)
    .where(sql`${users.id} = any(${sql.param(ids)}::uuid[])`);
}

/** What a presence list shows of a user: the `online-users` entry. */
export type PresenceRow = Pick<UserRow, 'id' | 'username' | 'status'>;
/** What a public user list shows (`toPublicUser`): never hashes or email. */
export type PublicUserRow = Pick<
  UserRow,
  'id' | 'username' | 'displayName' | 'avatarUrl' | 'bio' | 'status' | 'createdAt'
>;
const SHOWN_COLUMNS = {
  presence: sql.raw('u.id, u.username, u.status'),
  public: sql.raw(
    'u.id, u.username, u.display_name as "displayName", u.avatar_url as "avatarUrl", u.bio, u.status, u.created_at as "createdAt"',
  ),
};

/**
 * Users among `ids` whom others may see online: not `offline` by choice and, with `sharingRoomWith`,
 * sharing at least one room with that user; by lowercased username in code-point order (usernames are
 * ASCII), the first `limit`. One query however many ids, written by hand with only the
 * columns shown: it runs on every socket connect (`online-users`), where mapping whole user rows
 * through the query builder was a fifth of the server's CPU in the connect bench.
 */
export async function findShownUsers(
  db: Executor,
  ids: string[],
  options: { sharingRoomWith?: string; columns: 'presence'; limit: number },
): Promise<PresenceRow[]>;
export async function findShownUsers(
  db: Executor,
  ids: string[],
  options: { sharingRoomWith?: string; columns: 'public'; limit: number },
): Promise<PublicUserRow[]>;
export async function findShownUsers(
  db: Executor,
  ids: string[],
  options: { sharingRoomWith?: string; columns: 'presence' | 'public'; limit: number },
): Promise<PresenceRow[] | PublicUserRow[]> {
  if (ids.length === 0) return [];
  const { sharingRoomWith } = options;
  const rows = await queryRows<PublicUserRow & { createdAt: Date | string }>(
    db,
    sql`select ${SHOWN_COLUMNS[options.columns]} from ${users} u
        where u.id = any(${sql.param(ids)}::uuid[]) and u.status <> 'offline'
        ${
          sharingRoomWith
            ? sql`and exists (
                select 1 from room_members mine
                join room_members theirs on theirs.room_id = mine.room_id
                where mine.user_id = ${sharingRoomWith} and theirs.user_id = u.id)`
            : sql``
        }
        order by lower(u.username) collate "C"
        limit ${options.limit}`,
  );
  if (options.columns === 'public')
    for (const r of rows) if (!(r.createdAt instanceof Date)) r.createdAt = new Date(r.createdAt);
  return rows;
}

/** The password hash of an erased account: no password verifies against it. */
export const ERASED_PASSWORD_HASH = '!erased';

/**
 * Anonymises an account (SPEC "My data"), in one statement: `deleted-user-<n>` from `erased_user_seq`,
 * no email, display name, bio or avatar, a password hash nothing verifies against, deactivated (no
 * sign-in, every session refused) and `erased_at` set. The username and email are free at once.
 * Undefined when there is no such account or it was erased already. A `deleted-user-<n>` someone
 * registered as a name fails the statement (unique violation): the caller tries the next number.
 */
export async function anonymiseUser(db: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({
      username: sql`'deleted-user-' || nextval('erased_user_seq')`,
      email: null,
      displayName: null,
      bio: null,
      avatarUrl: null,
      avatarKey: null,
      passwordHash: ERASED_PASSWORD_HASH,
      status: 'offline',
      role: 'user',
      erasedAt: sql`now()`,
      deactivatedAt: sql`coalesce(${users.deactivatedAt}, now())`,
      deactivationReason: 'erased',
      updatedAt: sql`now()`,
    })
    .where(and(eq(users.id, id), isNull(users.erasedAt)))
    .returning();
  return row;
}

export async function touchLastSeen(db: Executor, id: string): Promise<void> {
  await db
    .update(users)
    .set({ lastSeenAt: sql`now()` })
    .where(eq(users.id, id));
}
