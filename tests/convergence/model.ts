/**
 * What a front end keeps per room, following SPEC.md "Consistency": the highest revision applied
 * contiguously (`rev`) and, per message, its latest state and the revision of that state. Pure logic:
 * no sockets here, so the rules are easy to read next to the contract.
 */

export interface ReactionGroup {
  emoji: string;
  count: number;
  userIds: string[];
}

/** A full message or a tombstone, as in events, acks and sync replies (fields not used are left out). */
export interface WireMessage {
  id: string;
  room: string;
  seq: number;
  rev: number;
  content?: string;
  editedAt?: string | null;
  reactions?: ReactionGroup[];
  mentions?: string[];
  mentionsAll?: boolean;
  deleted?: boolean;
}

export interface DeletedEvent {
  id: string;
  room: string;
  seq: number;
  rev: number;
}

export interface ReactionEvent {
  messageId: string;
  room: string;
  reactions: ReactionGroup[];
  rev: number;
}

/** A message as compared at the end: what a user sees of it. */
export interface VisibleMessage {
  id: string;
  seq: number;
  content: string;
  edited: boolean;
  /** `emoji:userId,userId` per emoji, sorted, so two views compare with toEqual. */
  reactions: string[];
  /** The mentioned user ids, sorted, then `+all` for `mentionsAll` (`canonicalMentions`). */
  mentions: string;
}

interface Entry {
  seq: number;
  /** The revision of the state held. */
  rev: number;
  deleted: boolean;
  content: string;
  edited: boolean;
  reactions: string[];
  mentions: string;
}

/** A message's mentions as one string that two views compare with toEqual. */
export function canonicalMentions(ids: readonly string[] | undefined, all: boolean | undefined) {
  return [...(ids ?? [])].sort().join(',') + (all ? '+all' : '');
}

/** One canonical string per emoji; a group whose count disagrees with its userIds is kept visible. */
export function normalizeReactions(groups: ReactionGroup[] | undefined): string[] {
  return (groups ?? [])
    .map((g) => {
      const ids = [...g.userIds].sort().join(',');
      return g.count === g.userIds.length ? `${g.emoji}:${ids}` : `${g.emoji}:${ids}#${g.count}`;
    })
    .sort();
}

export class RoomView {
  /** The highest revision up to which every change has been applied. */
  rev = 0;
  private readonly entries = new Map<string, Entry>();

  /**
   * A full message or a tombstone; an event is ignored unless newer than what is held for that
   * message. A sync reply is the whole state at its rev, so it also replaces a state of the same rev:
   * after a gap, a reaction event may have set the rev while the content held is older (the edit
   * before it was missed), and only the full message of that rev repairs it.
   */
  applyMessage(m: WireMessage, fromSync = false): boolean {
    if (m.deleted) return this.applyDeleted(m, fromSync);
    const held = this.entries.get(m.id);
    if (held && (fromSync ? m.rev < held.rev : m.rev <= held.rev)) return false;
    this.entries.set(m.id, {
      seq: m.seq,
      rev: m.rev,
      deleted: false,
      content: m.content ?? '',
      edited: m.editedAt !== null && m.editedAt !== undefined,
      reactions: normalizeReactions(m.reactions),
      mentions: canonicalMentions(m.mentions, m.mentionsAll),
    });
    return true;
  }

  applyDeleted(d: DeletedEvent, fromSync = false): boolean {
    const held = this.entries.get(d.id);
    if (held && (fromSync ? d.rev < held.rev : d.rev <= held.rev)) return false;
    this.entries.set(d.id, {
      seq: d.seq,
      rev: d.rev,
      deleted: true,
      content: '',
      edited: false,
      reactions: [],
      mentions: '',
    });
    return true;
  }

  /**
   * A reaction change carries no content: for a message not held it cannot be applied, which means
   * the client missed the message, so the caller treats it as a gap.
   */
  applyReactions(e: ReactionEvent): 'applied' | 'stale' | 'unknown' {
    const held = this.entries.get(e.messageId);
    if (!held) return 'unknown';
    if (e.rev <= held.rev) return 'stale';
    held.rev = e.rev;
    held.reactions = normalizeReactions(e.reactions);
    return 'applied';
  }

  /**
   * Room bookkeeping after an event of revision `rev`: the next revision moves `rev` on; an older one
   * changes nothing; a later one means revisions were missed, and the answer is true (sync needed).
   */
  advance(rev: number): boolean {
    if (rev <= this.rev) return false;
    if (rev === this.rev + 1) {
      this.rev = rev;
      return false;
    }
    return true;
  }

  /** Held and not deleted. */
  has(id: string): boolean {
    return this.entries.get(id)?.deleted === false;
  }

  /** The ids of the messages a user sees, for picking one to react to or read. */
  visibleIds(): string[] {
    return [...this.entries].filter(([, e]) => !e.deleted).map(([id]) => id);
  }

  /** What the user sees, in seq order. */
  visible(): VisibleMessage[] {
    return [...this.entries]
      .filter(([, e]) => !e.deleted)
      .map(([id, e]) => ({
        id,
        seq: e.seq,
        content: e.content,
        edited: e.edited,
        reactions: e.reactions,
        mentions: e.mentions,
      }))
      .sort((a, b) => a.seq - b.seq);
  }
}
