import { withStatus } from '../../http/route.js';
import {
  dataEnvelope,
  Message,
  MessageDeleted,
  MessageOrTombstone,
  pageEnvelope,
  ReactionList,
  ReadReceipt,
  SearchResult,
} from '../../openapi/schemas.js';
import { route } from '../declare.js';
import {
  editMessageBody,
  listMessagesQuery,
  messageIdParams,
  reactBody,
  mentionsQuery,
  searchQuery,
  sendMessageBody,
} from './messages.schemas.js';

export const ROOM_ACCESS =
  'A room is given by id or slug. A non-member gets 403 for a public room (join first) and 404 ' +
  'for a private or direct one.';

export const messagesRoutes = [
  route({
    method: 'get',
    path: '/messages',
    operationId: 'listMessages',
    summary: "A room's messages",
    description:
      'Newest first, paginated with `before`; or oldest first from `after` (a cursor) for catching ' +
      'up, where deleted messages appear as tombstones; or, with `rev`, every message changed after ' +
      'that room revision (new, edited, reacted, deleted as tombstones) in rev order, with `page.rev` ' +
      `the revision to ask from next time. ${ROOM_ACCESS}`,
    tag: 'Messages',
    auth: true,
    query: listMessagesQuery,
    what: { query: 'query' },
    reply: 'page',
    success: {
      status: 200,
      schema: pageEnvelope(MessageOrTombstone),
      description: 'A page of messages',
    },
    errors: [403, 404],
    handler: ({ actor, query }, { messages }) => messages.list(actor, query),
  }),
  route({
    method: 'get',
    path: '/mentions',
    operationId: 'listMyMentions',
    summary: 'The messages that mention me',
    description:
      '`@me`, `@all`, replies to my messages and the messages of my direct rooms, in rooms I can ' +
      'still read, newest first; never my own or deleted ones. Paginated by `before`.',
    tag: 'Messages',
    auth: true,
    query: mentionsQuery,
    what: { query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(Message), description: 'Mentions of me' },
    errors: [],
    handler: ({ actor, query }, { messages }) => messages.mentions(actor, query),
  }),
  route({
    method: 'get',
    path: '/messages/search',
    operationId: 'searchMessages',
    summary: 'Full-text search over the rooms I can read',
    description: `Best matches first; optionally in one room. ${ROOM_ACCESS}`,
    tag: 'Messages',
    auth: true,
    query: searchQuery,
    what: { query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(SearchResult), description: 'Matches' },
    errors: [403, 404],
    handler: ({ actor, query }, { messages }) =>
      messages.search(actor, { ...query, cursor: query.cursor ?? query.before }),
  }),
  route({
    method: 'post',
    path: '/messages',
    operationId: 'sendMessage',
    summary: 'Send a message',
    description:
      'Content is 1–4000 characters after trimming. The same sender and `clientId` give back the ' +
      `first message with 200, never a second one. ${ROOM_ACCESS}`,
    tag: 'Messages',
    auth: true,
    body: sendMessageBody,
    what: { body: 'message' },
    reply: 'data',
    success: {
      status: 201,
      also: [200],
      schema: dataEnvelope(MessageOrTombstone),
      description:
        'The message (200 for a retry with a known clientId; a tombstone if it was deleted since)',
    },
    errors: [403, 404, 409],
    handler: async ({ actor, body }, { messages }) => {
      const { message, created } = await messages.send(actor, body);
      return withStatus(created ? 201 : 200, message);
    },
  }),
  route({
    method: 'put',
    path: '/messages/:id',
    operationId: 'editMessage',
    summary: 'Edit my message',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    body: editMessageBody,
    what: { params: 'message id', body: 'message' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(Message), description: 'With editedAt' },
    errors: [403, 404],
    handler: ({ actor, params, body }, { messages }) =>
      messages.edit(actor, params.id, body.content),
  }),
  route({
    method: 'delete',
    path: '/messages/:id',
    operationId: 'deleteMessage',
    summary: 'Delete a message for everyone (sender, or room owner/admin)',
    description: 'Its files are deleted too.',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    what: { params: 'message id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(MessageDeleted), description: 'Deleted' },
    errors: [403, 404],
    handler: ({ actor, params }, { messages }) => messages.remove(actor, params.id),
  }),
  route({
    method: 'post',
    path: '/messages/:id/read',
    operationId: 'markRead',
    summary: 'Mark this message and everything before it in its room as read',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    what: { params: 'message id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(ReadReceipt), description: 'The receipt' },
    errors: [403, 404],
    handler: ({ actor, params }, { messages }) => messages.markRead(actor, params.id),
  }),
  route({
    method: 'post',
    path: '/messages/:id/react',
    operationId: 'toggleReaction',
    summary: 'Toggle my reaction',
    description: 'One emoji or a `:shortcode:`; at most 20 different ones per message.',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    body: reactBody,
    what: { params: 'message id', body: 'reaction' },
    reply: 'data',
    success: {
      status: 200,
      schema: dataEnvelope(ReactionList),
      description: "The message's reactions",
    },
    errors: [403, 404, 409],
    // SPEC.md: the response is the message's reactions; sockets get { messageId, room, reactions }.
    handler: async ({ actor, params, body }, { messages }) =>
      (await messages.react(actor, params.id, body.emoji)).reactions,
  }),
];
