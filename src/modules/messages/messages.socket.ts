import type { Logger } from '../../logger.js';
import { roomChannel } from '../../realtime/socket-broadcaster.js';
import { onEvent, type ChatSocket, type SocketRateLimiter } from '../../realtime/socket-events.js';
import { messageReadPayload, sendMessageBody, syncPayload } from './messages.schemas.js';
import type { MessagesService } from './messages.service.js';

/** send-message, message-read and sync: thin wrappers over the same service as the REST routes. */
export function registerMessageEvents(
  socket: ChatSocket,
  deps: {
    messages: MessagesService;
    log: Logger;
    messageLimiter: SocketRateLimiter;
    eventLimiter: SocketRateLimiter;
  },
): void {
  const { messages, log, messageLimiter, eventLimiter } = deps;
  const actor = socket.data.actor;

  onEvent(
    socket,
    log,
    'send-message',
    sendMessageBody,
    async (input) => {
      const subscribed = socket.rooms.has(roomChannel(input.room)) ? input.room : undefined;
      return (await messages.send(actor, input, { subscribedRoomId: subscribed })).message;
    },
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
