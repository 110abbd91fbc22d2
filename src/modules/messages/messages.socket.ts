import type { Logger } from '../../logger.js';
import { onEvent, type ChatSocket, type EventLimiter } from '../../realtime/socket-events.js';
import { messageReadPayload, sendMessageBody, syncPayload } from './messages.schemas.js';
import type { MessagesService } from './messages.service.js';

/** send-message, message-read and sync: thin wrappers over the same service as the REST routes. */
export function registerMessageEvents(
  socket: ChatSocket,
  deps: {
    messages: MessagesService;
    log: Logger;
    /** Per user, across their sockets and nodes. */
    messageLimiter: EventLimiter;
    eventLimiter: EventLimiter;
  },
): void {
  const { messages, log, messageLimiter, eventLimiter } = deps;
  const actor = socket.data.actor;

  onEvent(
    socket,
    log,
    'send-message',
    sendMessageBody,
    // Access is the database's answer at the moment of the send, never the socket's subscriptions.
    async (input) => (await messages.send(actor, input)).message,
    [messageLimiter],
  );
  onEvent(
    socket,
    log,
    'message-read',
    messageReadPayload,
    (input) => messages.markRead(actor, input.messageId),
    [eventLimiter],
  );
  onEvent(socket, log, 'sync', syncPayload, (input) => messages.sync(actor, input.rooms), [
    eventLimiter,
  ]);
}
