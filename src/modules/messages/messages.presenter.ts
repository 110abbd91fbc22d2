import type { MessageRecord, ReactionGroup, SenderRow } from './messages.repo.js';

export interface SenderView {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

export interface FileView {
  id: string;
  name: string;
  mime: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  thumbnailUrl?: string;
}

export interface MessageView {
  id: string;
  room: string;
  seq: number;
  /** The room revision of this message's latest change (Consistency in SPEC.md). */
  rev: number;
  sender: SenderView | null;
  content: string;
  type: 'text' | 'file' | 'system';
  replyTo: string | null;
  /** A short quote of the replied-to message, so clients need no second request. */
  replyPreview: {
    id: string;
    seq: number;
    sender: SenderView | null;
    content: string;
    deleted: boolean;
  } | null;
  file?: FileView;
  reactions: ReactionGroup[];
  /** The users mentioned by `@username`, by id (SPEC "Mentions"). */
  mentions: string[];
  /** `@all` (allowed to the room's owner and admins in rooms of more than 10 members). */
  mentionsAll: boolean;
  createdAt: string;
  editedAt: string | null;
}

export interface Tombstone {
  id: string;
  room: string;
  seq: number;
  rev: number;
  deleted: true;
}

const PREVIEW_LENGTH = 200;

export function toSender(u: SenderRow | null): SenderView | null {
  return u
    ? { id: u.id, username: u.username, displayName: u.displayName, avatarUrl: u.avatarUrl }
    : null;
}

export function toMessageView(
  record: MessageRecord,
  reactions: ReactionGroup[] = [],
  file?: FileView,
): MessageView {
  const { message: m, reply } = record;
  const view: MessageView = {
    id: m.id,
    room: m.roomId,
    seq: m.seq,
    rev: m.rev,
    sender: toSender(record.sender),
    content: m.content,
    type: m.type,
    replyTo: m.replyToId,
    replyPreview: reply
      ? {
          id: reply.message.id,
          seq: reply.message.seq,
          sender: toSender(reply.sender),
          content: reply.message.deletedAt ? '' : reply.message.content.slice(0, PREVIEW_LENGTH),
          deleted: reply.message.deletedAt !== null,
        }
      : null,
    reactions,
    mentions: m.mentions,
    mentionsAll: m.mentionsAll,
    createdAt: m.createdAt.toISOString(),
    editedAt: m.editedAt ? m.editedAt.toISOString() : null,
  };
  if (file) view.file = file;
  return view;
}

export function toTombstone(record: MessageRecord): Tombstone {
  return {
    id: record.message.id,
    room: record.message.roomId,
    seq: record.message.seq,
    rev: record.message.rev,
    deleted: true,
  };
}
