import { serverEvent } from '../../realtime/event.js';
import {
  MemberJoined,
  MemberLeft,
  MemberUpdated,
  RoomRef,
  RoomUpdated,
  UserTyping,
} from './rooms.schemas.js';

/** The server → client events of rooms, membership and typing, emitted by their services. */

const ROOM = 'Every socket subscribed to the room (its members)';

export const userTyping = serverEvent({
  name: 'user-typing',
  summary: 'A member started or stopped typing.',
  audience: `${ROOM}, except the typist's own sockets`,
  payload: UserTyping,
});

export const memberJoined = serverEvent({
  name: 'member-joined',
  summary: 'A user joined or was added to the room.',
  audience: ROOM,
  payload: MemberJoined,
});

export const memberLeft = serverEvent({
  name: 'member-left',
  summary: 'A member left or was removed.',
  audience: ROOM,
  payload: MemberLeft,
});

export const memberUpdated = serverEvent({
  name: 'member-updated',
  summary: "A member's role changed.",
  audience: ROOM,
  payload: MemberUpdated,
});

export const roomJoined = serverEvent({
  name: 'room-joined',
  summary: 'I was added to a room (invited, or a direct room was opened with me).',
  audience: 'Every socket of the added user',
  payload: RoomRef,
});

export const roomLeft = serverEvent({
  name: 'room-left',
  summary: 'I left or was removed from a room; its events stop.',
  audience: 'Every socket of the user who left',
  payload: RoomRef,
});

export const roomUpdated = serverEvent({
  name: 'room-updated',
  summary: 'A room was renamed or re-described.',
  audience: ROOM,
  payload: RoomUpdated,
});

export const roomDeleted = serverEvent({
  name: 'room-deleted',
  summary: 'A room was deleted; its events stop.',
  audience: ROOM,
  payload: RoomRef,
});

export const roomServerEvents = [
  userTyping,
  memberJoined,
  memberLeft,
  memberUpdated,
  roomJoined,
  roomLeft,
  roomUpdated,
  roomDeleted,
];
