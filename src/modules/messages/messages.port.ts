import type { Executor } from '../../db/client.js';
import { isId } from '../../db/ids.js';
import type { MessageRow } from '../../db/schema/index.js';
import { notFound } from '../../errors.js';
import { requireMember, type RoomAccess } from '../rooms/rooms.port.js';
import * as repo from './messages.repo.js';

/**
 * The messages feature's surface for other features, besides MessagesService: the message access rule
 * and the message views other listings embed (a room's last message). messages.repo is private to this
 * folder (eslint.config.js, tests/architecture).
 */

/**
 * Live messages as API views, by id, in the order given (missing or deleted ones are left out); file
 * messages get their file view from `loadFiles` (`noFiles` where there are none to show).
 */
export { loadMessageViews, noFiles, type FileViewLoader } from './messages.views.js';

/** A position in a room's history (`s` cursor or bare seq), as every listing by seq takes it. */
export { parseSeqCursor } from './message-cursor.js';

/**
 * A live message and the user's membership of its room, the one access check of everything done to an
 * existing message. A missing or deleted message and a message in a room hidden from the user answer
 * alike, NOT_FOUND('Message') (the rooms feature's hidden-room rule); a public room's message to a
 * non-member FORBIDDEN.
 */
export async function requireMessageAccess(
  db: Executor,
  messageId: string,
  userId: string,
): Promise<RoomAccess & { message: MessageRow }> {
  const message = isId(messageId) ? await repo.findMessageById(db, messageId) : undefined;
  if (!message || message.deletedAt) throw notFound('Message');
  return { ...(await requireMember(db, message.roomId, userId, 'Message')), message };
}
