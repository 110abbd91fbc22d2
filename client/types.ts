/** The API shapes the client uses (SPEC.md "Shapes"). */

export type UserStatus = 'online' | 'away' | 'busy' | 'offline';

export interface User {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
  bio: string | null;
  status: UserStatus;
  createdAt: string;
  email?: string;
}

export interface Sender {
  id: string;
  username: string;
  displayName: string | null;
  avatarUrl: string | null;
}

export interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}

export interface FileInfo {
  id: string;
  name: string;
  mime: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  thumbnailUrl?: string;
}

export interface Message {
  id: string;
  room: string;
  seq: number;
  sender: Sender | null;
  content: string;
  type: 'text' | 'file' | 'system';
  replyTo: string | null;
  replyPreview?: { id: string; sender: Sender | null; content: string; deleted: boolean } | null;
  file?: FileInfo;
  reactions: Reaction[];
  mentions?: string[];
  mentionsAll?: boolean;
  createdAt: string;
  editedAt: string | null;
  /** The room revision of the message's latest change (SPEC "Consistency"). */
  rev: number;
}

/** A deleted message, as `sync`, `GET /messages?rev=` and `message-deleted` describe it. */
export interface Tombstone {
  id: string;
  room: string;
  seq: number;
  rev: number;
  deleted: true;
}

/** One room of a `sync` reply: `rev` is where to ask from next time. */
export type SyncEntry =
  | { room: string; messages: (Message | Tombstone)[]; hasMore: boolean; rev: number }
  | { room: string; error: { code: string; message: string } };

export interface Room {
  id: string;
  slug: string;
  name: string;
  type: 'public' | 'private' | 'direct';
  description: string | null;
  createdAt: string;
  memberCount: number;
  myRole: string | null;
  unreadCount: number;
  /** Unread messages that mention me. */
  mentionCount: number;
  notifyLevel: 'all' | 'mentions' | 'none' | null;
  lastReadSeq: number;
  lastMessage: Message | null;
  peer?: User;
}

export interface Member {
  user: User;
  role: string;
  lastReadSeq: number;
}

export interface SearchHit extends Message {
  /** HTML-escaped by the server, with <mark> around the matches. */
  snippet: string;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export interface Page {
  nextCursor: string | null;
  limit: number;
}

export interface Ack<T> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string };
}
