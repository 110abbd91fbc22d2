import type { UserRow } from '../../db/schema/index.js';
import type { PublicUserRow } from './users.repo.js';

export interface PublicUser {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  bio: string | null;
  status: UserRow['status'];
  createdAt: string;
}

export interface OwnUser extends PublicUser {
  email: string;
  /** Instance role (SPEC "Instance admins"). */
  role: UserRow['role'];
}

/** The only shapes a user leaves the server in: no hashes, no internal keys. */
export function toPublicUser(u: PublicUserRow): PublicUser {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    avatarUrl: u.avatarUrl,
    bio: u.bio,
    status: u.status,
    createdAt: u.createdAt.toISOString(),
  };
}

/** A signed-in user's own view; an erased account (no email) never signs in again. */
export function toOwnUser(u: UserRow): OwnUser {
  return { ...toPublicUser(u), email: u.email ?? '', role: u.role };
}
