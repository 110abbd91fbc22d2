import { serverEvent } from '../../realtime/event.js';
import { Message, MessageDeleted, ReactionsResult, ReadReceipt } from '../../openapi/schemas.js';

/** The server → client events of messages, emitted by the messages service after each commit. */

const ROOM = 'Every socket subscribed to the room (its members)';

export const newMessage = serverEvent({
  name: 'new-message',
  summary: 'A message was sent.',
  audience: ROOM,
  payload: Message,
});

export const messageUpdated = serverEvent({
  name: 'message-updated',
  summary: 'A message was edited.',
  audience: ROOM,
  payload: Message,
});

export const messageDeleted = serverEvent({
  name: 'message-deleted',
  summary: 'A message (and its file) was deleted.',
  audience: ROOM,
  payload: MessageDeleted,
});

export const messageReaction = serverEvent({
  name: 'message-reaction',
  summary: "A message's reactions changed.",
  audience: ROOM,
  payload: ReactionsResult,
});

export const messageReadReceipt = serverEvent({
  name: 'message-read-receipt',
  summary: 'A member read up to a message.',
  audience: ROOM,
  payload: ReadReceipt,
});

export const messageServerEvents = [
  newMessage,
  messageUpdated,
  messageDeleted,
  messageReaction,
  messageReadReceipt,
];
