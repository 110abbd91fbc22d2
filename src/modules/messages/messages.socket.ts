import { MessageOrTombstone, ReadReceipt } from '../../openapi/schemas.js';
import { event } from '../declare.js';
import {
  messageReadPayload,
  sendMessageBody,
  SyncResult,
  syncPayload,
} from './messages.schemas.js';

/** send-message, message-read and sync: thin wrappers over the same service as the REST routes. */

const sendMessage = event({
  name: 'send-message',
  summary:
    'Send a message, with the same rules as POST /messages (a known clientId returns the first message). At most SOCKET_MESSAGE_LIMIT per user per 10 s, across all their sockets.',
  payload: sendMessageBody,
  // A retry with the clientId of a message deleted since gets its tombstone.
  ack: MessageOrTombstone,
  // Per user, across their sockets and nodes.
  limit: 'message',
  // Access is the database's answer at the moment of the send, never the socket's subscriptions.
  handler: async (input, { actor }, { messages }) => (await messages.send(actor, input)).message,
});

const messageRead = event({
  name: 'message-read',
  summary:
    'Mark this message and everything before it in its room as read (like POST /messages/{id}/read).',
  payload: messageReadPayload,
  ack: ReadReceipt,
  limit: 'event',
  handler: (input, { actor }, { messages }) => messages.markRead(actor, input.messageId),
});

const sync = event({
  name: 'sync',
  summary:
    'Catch up after a reconnect: per room (at most 100, each once), `{ room, after }` for the messages with seq greater than `after`, oldest first, or `{ room, rev }` for every message changed after revision `rev` (new, edited, reacted, deleted as tombstones), in rev order.',
  payload: syncPayload,
  ack: SyncResult,
  limit: 'event',
  handler: (input, { actor }, { messages }) => messages.sync(actor, input.rooms),
});

export const messageEvents = [sendMessage, messageRead, sync];
