import { OwnUser } from '../../openapi/schemas.js';
import { event } from '../declare.js';
import { statusBody } from './users.schemas.js';

/** user-status: the same as POST /api/users/status. */
const userStatus = event({
  name: 'user-status',
  summary: 'Choose my status (like POST /users/status).',
  payload: statusBody,
  ack: OwnUser,
  limit: 'event',
  handler: (input, { actor }, { users }) => users.setStatus(actor, input.status),
});

export const userEvents = [userStatus];
