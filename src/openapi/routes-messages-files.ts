import { z } from 'zod';
import {
  mediaQuery,
  messageParams,
  roomParams as fileRoomParams,
  uploadFields,
} from '../modules/files/files.schemas.js';
import {
  editMessageBody,
  listMessagesQuery,
  messageIdParams,
  reactBody,
  searchQuery,
  sendMessageBody,
} from '../modules/messages/messages.schemas.js';
import type { RouteDoc } from './route-types.js';
import {
  dataEnvelope,
  FileStats,
  MediaItem,
  Message,
  MessageDeleted,
  MessageOrTombstone,
  pageEnvelope,
  ReactionList,
  ReadReceipt,
  SearchResult,
  UploadResult,
} from './schemas.js';

const ROOM_ACCESS =
  'A room is given by id or slug. A non-member gets 403 for a public room (join first) and 404 ' +
  'for a private or direct one.';

export const messagesRoutesDoc: RouteDoc[] = [
  {
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
    success: {
      status: 200,
      schema: pageEnvelope(MessageOrTombstone),
      description: 'A page of messages',
    },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/messages/search',
    operationId: 'searchMessages',
    summary: 'Full-text search over the rooms I can read',
    description: `Best matches first; optionally in one room. ${ROOM_ACCESS}`,
    tag: 'Messages',
    auth: true,
    query: searchQuery,
    success: { status: 200, schema: pageEnvelope(SearchResult), description: 'Matches' },
    errors: [403, 404],
  },
  {
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
    success: {
      status: 201,
      also: [200],
      schema: dataEnvelope(Message),
      description: 'The message (200 for a retry with a known clientId)',
    },
    errors: [403, 404, 409],
  },
  {
    method: 'put',
    path: '/messages/{id}',
    operationId: 'editMessage',
    summary: 'Edit my message',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    body: editMessageBody,
    success: { status: 200, schema: dataEnvelope(Message), description: 'With editedAt' },
    errors: [403, 404],
  },
  {
    method: 'delete',
    path: '/messages/{id}',
    operationId: 'deleteMessage',
    summary: 'Delete a message for everyone (sender, or room owner/admin)',
    description: 'Its files are deleted too.',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    success: { status: 200, schema: dataEnvelope(MessageDeleted), description: 'Deleted' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/messages/{id}/read',
    operationId: 'markRead',
    summary: 'Mark this message and everything before it in its room as read',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    success: { status: 200, schema: dataEnvelope(ReadReceipt), description: 'The receipt' },
    errors: [403, 404],
  },
  {
    method: 'post',
    path: '/messages/{id}/react',
    operationId: 'toggleReaction',
    summary: 'Toggle my reaction',
    description: 'One emoji or a `:shortcode:`; at most 20 different ones per message.',
    tag: 'Messages',
    auth: true,
    params: messageIdParams,
    body: reactBody,
    success: {
      status: 200,
      schema: dataEnvelope(ReactionList),
      description: "The message's reactions",
    },
    errors: [403, 404, 409],
  },
];

export const filesRoutesDoc: RouteDoc[] = [
  {
    method: 'post',
    path: '/files/upload',
    operationId: 'uploadFile',
    summary: 'Post a file into a room',
    description:
      'Multipart: `file`, `room`, optional `caption` and `clientId`. At most 10 MB (MAX_UPLOAD_MB); ' +
      'images (jpeg, png, gif, webp), documents (pdf, txt, docx, xlsx, pptx, zip) and videos (mp4, ' +
      "webm, mov), decided by the file's bytes. A retry with a known clientId answers 200. " +
      ROOM_ACCESS,
    tag: 'Files',
    auth: true,
    multipart: uploadFields.extend({ file: z.file() }),
    success: {
      status: 201,
      also: [200],
      schema: dataEnvelope(UploadResult),
      description: 'The file and its message',
    },
    errors: [403, 404, 409, 413, 415],
  },
  {
    method: 'get',
    path: '/files/media/{room}',
    operationId: 'listMedia',
    summary: "A room's files",
    description: `Newest first, optionally of one type. ${ROOM_ACCESS}`,
    tag: 'Files',
    auth: true,
    params: fileRoomParams,
    query: mediaQuery,
    success: { status: 200, schema: pageEnvelope(MediaItem), description: 'Files' },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/files/stats/{room}',
    operationId: 'fileStats',
    summary: "Counts and bytes of a room's files by type",
    description: ROOM_ACCESS,
    tag: 'Files',
    auth: true,
    params: fileRoomParams,
    success: { status: 200, schema: dataEnvelope(FileStats), description: 'Statistics' },
    errors: [403, 404],
  },
  {
    method: 'delete',
    path: '/files/{messageId}',
    operationId: 'deleteFile',
    summary: 'Delete a file and its message (uploader, or room owner/admin)',
    tag: 'Files',
    auth: true,
    params: messageParams,
    success: { status: 200, schema: dataEnvelope(MessageDeleted), description: 'Deleted' },
    errors: [403, 404],
  },
];
