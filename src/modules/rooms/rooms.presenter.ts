import type { NotifyLevel, RoomMemberRow, RoomRow, UserRow } from '../../db/schema/index.js';
import { isMutedNow } from './moderation.repo.js';
import { notifyLevelOf } from './notify-level.js';
import type { MessageView } from '../messages/messages.presenter.js';
import { toPublicUser, type PublicUser } from '../users/users.presenter.js';

/** What a room is, whoever looks: the part of its view that does not depend on the caller. */
export interface RoomMetadata {
  id: string;
  slug: string;
  name: string;
  type: RoomRow['type'];
  description: string | null;
  createdAt: string;
  memberCount: number;
  /** Seq of the newest message: a client whose last seen seq is lower knows to sync. */
  lastSeq: number;
}

export function toRoomMetadata(room: RoomRow): RoomMetadata {
  return {
    id: room.id,
    slug: room.slug,
    name: room.name,
    type: room.type,
    description: room.description,
    createdAt: room.createdAt.toISOString(),
    memberCount: room.memberCount,
    lastSeq: room.lastSeq,
  };
}

export interface RoomView extends RoomMetadata {
  myRole: RoomMemberRow['role'] | null;
  unreadCount: number;
  /** Unread messages that mention me (SPEC "Counts"). */
  mentionCount: number;
  /** My notification level for the room; null when I am not a member. */
  notifyLevel: NotifyLevel | null;
  lastReadSeq: number;
  lastMessage: MessageView | null;
  /** Slow mode: members other than owner/admins send once per this many seconds (0: off). */
  slowModeSeconds: number;
  /** The room's own retention in days; null: the instance's (MESSAGE_RETENTION_DAYS). */
  retentionDays: number | null;
  /** Direct rooms only: the other person. */
  peer?: PublicUser;
}

export interface RoomViewExtras {
  member: RoomMemberRow | null;
  unreadCount?: number;
  mentionCount?: number;
  lastMessage?: MessageView | null;
  peer?: UserRow;
}

/** A room as SPEC.md shapes it; the last four fields are relative to the caller. */
export function toRoomView(room: RoomRow, extras: RoomViewExtras): RoomView {
  const view: RoomView = {
    ...toRoomMetadata(room),
    myRole: extras.member?.role ?? null,
    unreadCount: extras.unreadCount ?? 0,
    mentionCount: extras.mentionCount ?? 0,
    notifyLevel: extras.member ? notifyLevelOf(room.type, extras.member.notifyLevel) : null,
    lastReadSeq: extras.member?.lastReadSeq ?? 0,
    lastMessage: extras.lastMessage ?? null,
    slowModeSeconds: room.slowModeSeconds,
    retentionDays: room.retentionDays,
  };
  if (room.type === 'direct' && extras.peer) {
    view.peer = toPublicUser(extras.peer);
    view.name = extras.peer.displayName ?? extras.peer.username;
  }
  return view;
}

export interface MemberView {
  user: PublicUser;
  role: RoomMemberRow['role'];
  joinedAt: string;
  lastReadSeq: number;
  /** Muted now (cannot send, react or edit), until `mutedUntil` (null: until unmuted). */
  muted: boolean;
  mutedUntil: string | null;
}

export function toMemberView(member: RoomMemberRow, user: UserRow): MemberView {
  const muted = isMutedNow(member);
  return {
    user: toPublicUser(user),
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
    lastReadSeq: member.lastReadSeq,
    muted,
    mutedUntil: muted ? (member.mutedUntil?.toISOString() ?? null) : null,
  };
}
