import { Router } from 'express';
import { validationError } from '../../errors.js';
import { actorOf } from '../../http/auth.js';
import { singleFileUpload } from '../../http/multipart.js';
import { sendData, sendPage } from '../../http/respond.js';
import { parseInput } from '../../http/validate.js';
import type { MessagesService } from '../messages/messages.service.js';
import type { AvatarService } from './avatar.service.js';
import { MAX_AVATAR_BYTES } from './avatar.service.js';
import { mediaQuery, messageParams, roomParams, uploadFields } from './files.schemas.js';
import type { FilesService } from './files.service.js';

/** Routes under /files; requireAuth is mounted in front. */
export function filesRoutes(deps: {
  files: FilesService;
  messages: MessagesService;
  maxUploadBytes: number;
}): Router {
  const { files, messages } = deps;
  const router = Router();

  router.post('/upload', singleFileUpload('file', deps.maxUploadBytes), async (req, res) => {
    const fields = parseInput(uploadFields, req.body ?? {}, 'upload');
    if (!req.file)
      throw validationError('A file is required', [
        { path: 'file', message: 'send one file in the field "file"' },
      ]);
    const result = await files.upload(actorOf(req), fields, req.file, messages.send);
    sendData(res, { file: result.file, message: result.message }, result.created ? 201 : 200);
  });

  router.get('/media/:room', async (req, res) => {
    const { room } = parseInput(roomParams, req.params, 'room');
    const q = parseInput(mediaQuery, req.query, 'query');
    const result = await files.listMedia(actorOf(req), room, {
      kind: q.type,
      limit: q.limit,
      cursor: q.cursor ?? q.before,
    });
    sendPage(res, result.items, result.page);
  });

  router.get('/stats/:room', async (req, res) => {
    const { room } = parseInput(roomParams, req.params, 'room');
    sendData(res, await files.stats(actorOf(req), room));
  });

  router.delete('/:messageId', async (req, res) => {
    const { messageId } = parseInput(messageParams, req.params, 'message id');
    await files.assertFileMessage(actorOf(req), messageId);
    sendData(res, await messages.remove(actorOf(req), messageId));
  });

  return router;
}

/** POST /users/avatar (multipart `avatar`). */
export function avatarRoutes(deps: { avatars: AvatarService }): Router {
  const router = Router();
  router.post('/avatar', singleFileUpload('avatar', MAX_AVATAR_BYTES), async (req, res) => {
    if (!req.file)
      throw validationError('An image is required', [
        { path: 'avatar', message: 'send one image in the field "avatar"' },
      ]);
    sendData(res, await deps.avatars.setAvatar(actorOf(req), req.file.buffer));
  });
  return router;
}
