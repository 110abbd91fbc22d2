import { withStatus } from '../../http/route.js';
import { dataEnvelope, Member, pageEnvelope } from '../../openapi/schemas.js';
import { route } from '../declare.js';
import {
  Ban,
  banBody,
  banParams,
  bansQuery,
  memberParams,
  muteBody,
  roomParams,
  Unbanned,
} from './rooms.schemas.js';

const WHO =
  "The room's owner and admins (an admin acts only on plain members, the owner on admins too) and " +
  'instance admins; 403 for other members, 404 for a private room the caller cannot see. Decided ' +
  'under the room lock at the moment of the action, and recorded in the audit log.';

/** Room moderation (SPEC "Room moderation"): mutes and bans; slow mode and retention are PATCH /rooms/:id. */
export const moderationRoutes = [
  route({
    method: 'post',
    path: '/rooms/:id/members/:userId/mute',
    operationId: 'muteMember',
    summary: 'Mute a member (timed or until unmuted)',
    description:
      'A muted member still reads, but cannot send, react or edit (403). `minutes` omitted: until ' +
      `unmuted. Muting again replaces the previous mute. ${WHO}`,
    tag: 'Moderation',
    auth: true,
    params: memberParams,
    body: muteBody,
    what: { params: 'member', body: 'mute' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(Member), description: 'The member, muted' },
    errors: [403, 404],
    handler: ({ actor, params, body }, { moderation }) =>
      moderation.mute(actor, params.id, params.userId, body.minutes),
  }),
  route({
    method: 'delete',
    path: '/rooms/:id/members/:userId/mute',
    operationId: 'unmuteMember',
    summary: 'Unmute a member',
    description: WHO,
    tag: 'Moderation',
    auth: true,
    params: memberParams,
    what: { params: 'member' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(Member), description: 'The member, unmuted' },
    errors: [403, 404],
    handler: ({ actor, params }, { moderation }) =>
      moderation.unmute(actor, params.id, params.userId),
  }),
  route({
    method: 'get',
    path: '/rooms/:id/bans',
    operationId: 'listBans',
    summary: "A room's bans, newest first",
    description: WHO,
    tag: 'Moderation',
    auth: true,
    params: roomParams,
    query: bansQuery,
    what: { params: 'room', query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(Ban), description: 'Bans' },
    errors: [403, 404],
    handler: ({ actor, params, query }, { moderation }) =>
      moderation.listBans(actor, params.id, query),
  }),
  route({
    method: 'post',
    path: '/rooms/:id/bans',
    operationId: 'banUser',
    summary: 'Ban a user from a room',
    description:
      'The user is removed at once (their sockets on every node stop receiving the room) and ' +
      'cannot join or be added again until unbanned; a user who is not a member can be banned ' +
      `ahead. 409 when already banned. Not for direct rooms. ${WHO}`,
    tag: 'Moderation',
    auth: true,
    params: roomParams,
    body: banBody,
    what: { params: 'room', body: 'ban' },
    reply: 'data',
    success: { status: 201, schema: dataEnvelope(Ban), description: 'The ban' },
    errors: [403, 404, 409],
    handler: async ({ actor, params, body }, { moderation }) =>
      withStatus(201, await moderation.ban(actor, params.id, body)),
  }),
  route({
    method: 'delete',
    path: '/rooms/:id/bans/:userId',
    operationId: 'unbanUser',
    summary: 'Lift a ban',
    description: `The user may join or be added again (they are not re-added). ${WHO}`,
    tag: 'Moderation',
    auth: true,
    params: banParams,
    what: { params: 'ban' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(Unbanned), description: 'Unbanned' },
    errors: [403, 404],
    handler: ({ actor, params }, { moderation }) =>
      moderation.unban(actor, params.id, params.userId),
  }),
];
