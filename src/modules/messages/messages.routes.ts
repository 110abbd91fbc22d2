import { Router } from 'express';
import { actorOf } from '../../http/auth.js';
import { sendData, sendPage } from '../../http/respond.js';
import { parseInput } from '../../http/validate.js';
import {
  editMessageBody,
  listMessagesQuery,
  messageIdParams,
  reactBody,
  searchQuery,
  sendMessageBody,
} from './messages.schemas.js';
import type { MessagesService } from './messages.service.js';

/** Routes under /messages; requireAuth is mounted in front. */
export function messagesRoutes(deps: { messages: MessagesService }): Router {
  const { messages } = deps;
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseInput(listMessagesQuery, req.query, 'query');
    const result = await messages.list(actorOf(req), query);
    sendPage(res, result.items, result.page);
  });

  router.get('/search', async (req, res) => {
    const query = parseInput(searchQuery, req.query, 'query');
    const result = await messages.search(actorOf(req), {
      ...query,
      cursor: query.cursor ?? query.before,
    });
    sendPage(res, result.items, result.page);
  });

  router.post('/', async (req, res) => {
    const input = parseInput(sendMessageBody, req.body, 'message');
    const { message, created } = await messages.send(actorOf(req), input);
    sendData(res, message, created ? 201 : 200);
  });

  router.put('/:id', async (req, res) => {
    const { id } = parseInput(messageIdParams, req.params, 'message id');
    const { content } = parseInput(editMessageBody, req.body, 'message');
    sendData(res, await messages.edit(actorOf(req), id, content));
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parseInput(messageIdParams, req.params, 'message id');
    sendData(res, await messages.remove(actorOf(req), id));
  });

  router.post('/:id/read', async (req, res) => {
    const { id } = parseInput(messageIdParams, req.params, 'message id');
    sendData(res, await messages.markRead(actorOf(req), id));
  });

  router.post('/:id/react', async (req, res) => {
    const { id } = parseInput(messageIdParams, req.params, 'message id');
    const { emoji } = parseInput(reactBody, req.body, 'reaction');
    // SPEC.md: the response is the message's reactions; sockets get { messageId, room, reactions }.
    sendData(res, (await messages.react(actorOf(req), id, emoji)).reactions);
  });

  return router;
}
