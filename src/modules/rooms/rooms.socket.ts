import { z } from 'zod';
import { Room, RoomLeft } from '../../openapi/schemas.js';
import { event } from '../declare.js';
import { RoomRef } from './rooms.schemas.js';

export const roomPayload = z.strictObject({
  room: z.string().trim().min(1, 'room is required').max(100),
});

const joinRoom = event({
  name: 'join-room',
  summary:
    'Join a public room as a member (like POST /rooms/{id}/join); every socket of the user is subscribed.',
  payload: roomPayload,
  ack: Room,
  limit: 'event',
  handler: (input, { actor }, { rooms }) => rooms.join(actor, input.room),
});

const leaveRoom = event({
  name: 'leave-room',
  summary: 'Leave a room (like POST /rooms/{id}/leave); every socket of the user is unsubscribed.',
  payload: roomPayload,
  ack: RoomLeft,
  limit: 'event',
  handler: (input, { actor }, { rooms }) => rooms.leave(actor, input.room),
});

const typingStart = event({
  name: 'typing-start',
  summary:
    'I am typing in a room; members get `user-typing`. Stops by itself after a few seconds without another typing-start.',
  payload: roomPayload,
  ack: RoomRef,
  limit: 'event',
  handler: (input, { actor, socketId }, { typing }) => typing.start(actor, input.room, socketId),
});

const typingStop = event({
  name: 'typing-stop',
  summary: 'I stopped typing in a room.',
  payload: roomPayload,
  ack: RoomRef,
  limit: 'event',
  handler: (input, { actor }, { typing }) => typing.stop(actor, input.room),
});

/** join-room, leave-room, typing-start, typing-stop. */
export const roomEvents = [joinRoom, leaveRoom, typingStart, typingStop];
