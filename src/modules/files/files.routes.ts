import { z } from 'zod';
import { withStatus } from '../../http/route.js';
import {
  dataEnvelope,
  FileStats,
  MediaItem,
  MessageDeleted,
  OwnUser,
  pageEnvelope,
  UploadResult,
} from '../../openapi/schemas.js';
import { route } from '../declare.js';
import { ROOM_ACCESS } from '../messages/messages.routes.js';
import { MAX_AVATAR_BYTES } from './avatar.service.js';
import { mediaQuery, messageParams, roomParams, uploadFields } from './files.schemas.js';

export const filesRoutes = [
  route({
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
    multipart: {
      field: 'file',
      maxBytes: 'upload',
      missing: { message: 'A file is required', detail: 'send one file in the field "file"' },
      fields: uploadFields,
      doc: uploadFields.extend({ file: z.file() }),
    },
    what: { body: 'upload' },
    reply: 'data',
    success: {
      status: 201,
      also: [200],
      schema: dataEnvelope(UploadResult),
      description: 'The file and its message',
    },
    errors: [403, 404, 409, 413, 415],
    handler: async ({ actor, body, file }, { files, messages }) => {
      const result = await files.upload(actor, body, file!, messages.send);
      return withStatus(result.created ? 201 : 200, {
        file: result.file,
        message: result.message,
      });
    },
  }),
  route({
    method: 'get',
    path: '/files/media/:room',
    operationId: 'listMedia',
    summary: "A room's files",
    description: `Newest first, optionally of one type. ${ROOM_ACCESS}`,
    tag: 'Files',
    auth: true,
    params: roomParams,
    query: mediaQuery,
    what: { params: 'room', query: 'query' },
    reply: 'page',
    success: { status: 200, schema: pageEnvelope(MediaItem), description: 'Files' },
    errors: [403, 404],
    handler: ({ actor, params, query: q }, { files }) =>
      files.listMedia(actor, params.room, {
        kind: q.type,
        limit: q.limit,
        cursor: q.cursor ?? q.before,
      }),
  }),
  route({
    method: 'get',
    path: '/files/stats/:room',
    operationId: 'fileStats',
    summary: "Counts and bytes of a room's files by type",
    description: ROOM_ACCESS,
    tag: 'Files',
    auth: true,
    params: roomParams,
    what: { params: 'room' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(FileStats), description: 'Statistics' },
    errors: [403, 404],
    handler: ({ actor, params }, { files }) => files.stats(actor, params.room),
  }),
  route({
    method: 'delete',
    path: '/files/:messageId',
    operationId: 'deleteFile',
    summary: 'Delete a file and its message (uploader, or room owner/admin)',
    tag: 'Files',
    auth: true,
    params: messageParams,
    what: { params: 'message id' },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(MessageDeleted), description: 'Deleted' },
    errors: [403, 404],
    handler: async ({ actor, params }, { files, messages }) => {
      await files.assertFileMessage(actor, params.messageId);
      return messages.remove(actor, params.messageId);
    },
  }),
  route({
    method: 'post',
    path: '/users/avatar',
    operationId: 'setAvatar',
    summary: 'Upload my avatar',
    description:
      'Multipart field `avatar`: a JPEG, PNG, GIF or WebP image of at most 2 MB, stored as a 256 px ' +
      'square WebP with a public URL.',
    tag: 'Users',
    auth: true,
    multipart: {
      field: 'avatar',
      maxBytes: MAX_AVATAR_BYTES,
      missing: { message: 'An image is required', detail: 'send one image in the field "avatar"' },
      doc: z.object({ avatar: z.file() }),
    },
    reply: 'data',
    success: { status: 200, schema: dataEnvelope(OwnUser), description: 'My profile' },
    errors: [413, 415],
    handler: ({ actor, file }, { avatars }) => avatars.setAvatar(actor, file!.buffer),
  }),
];
