import { serverEvent } from '../../realtime/event.js';
import { StatusUpdate, UserPresence } from './users.schemas.js';

/** The server → client events of users' presence and status, emitted by the presence service. */

const ROOMS_OF_USER = 'Every room of the user';

export const userOnline = serverEvent({
  name: 'user-online',
  summary: "A user's first connection opened (users who chose `offline` are not announced).",
  audience: ROOMS_OF_USER,
  payload: UserPresence,
});

export const userOffline = serverEvent({
  name: 'user-offline',
  summary: "A user's last connection closed a few seconds ago, or they chose `offline`.",
  audience: ROOMS_OF_USER,
  payload: UserPresence,
});

export const userStatusUpdate = serverEvent({
  name: 'user-status-update',
  summary: 'A user chose a status.',
  audience: ROOMS_OF_USER,
  payload: StatusUpdate,
});

export const userServerEvents = [userOnline, userOffline, userStatusUpdate];
