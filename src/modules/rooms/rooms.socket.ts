import { z } from 'zod';
import type { Logger } from '../../logger.js';
import { onEvent, type ChatSocket, type SocketRateLimiter } from '../../realtime/socket-events.js';
import type { RoomsService } from './rooms.service.js';
import type { TypingService } from './typing.service.js';

export const roomPayload = z.strictObject({
  room: z.string().trim().min(1, 'room is required').max(100),
});

/** join-room, leave-room, typing-start, typing-stop. */
export function registerRoomEvents(
  socket: ChatSocket,
  deps: {
    rooms: RoomsService;
    typing: TypingService;
    log: Logger;
    eventLimiter: SocketRateLimiter;
  },
): void {
  const { rooms, typing, log, eventLimiter } = deps;
  const actor = socket.data.actor;

  onEvent(socket, log, 'join-room', roomPayload, (input) => rooms.join(actor, input.room), [
    eventLimiter,
  ]);
  onEvent(socket, log, 'leave-room', roomPayload, (input) => rooms.leave(actor, input.room), [
    eventLimiter,
  ]);
  onEvent(
    socket,
    log,
    'typing-start',
    roomPayload,
    (input) => typing.start(actor, input.room, socket.id),
    [eventLimiter],
  );
  onEvent(socket, log, 'typing-stop', roomPayload, (input) => typing.stop(actor, input.room), [
    eventLimiter,
  ]);
}
