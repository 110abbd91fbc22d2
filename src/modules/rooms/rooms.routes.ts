import { Router } from 'express';
import { actorOf } from '../../http/auth.js';
import { sendData, sendPage } from '../../http/respond.js';
import { parseInput } from '../../http/validate.js';
import {
  addMemberBody,
  createRoomBody,
  directBody,
  memberParams,
  pageQuery,
  publicRoomsQuery,
  roomParams,
  setRoleBody,
  updateRoomBody,
} from './rooms.schemas.js';
import type { RoomsService } from './rooms.service.js';

/** Routes under /rooms; requireAuth is mounted in front. */
export function roomsRoutes(deps: { rooms: RoomsService }): Router {
  const { rooms } = deps;
  const router = Router();

  router.get('/', async (req, res) => {
    const q = parseInput(pageQuery, req.query, 'query');
    const result = await rooms.listMine(actorOf(req), {
      limit: q.limit,
      cursor: q.cursor ?? q.before,
    });
    sendPage(res, result.items, result.page);
  });

  router.post('/', async (req, res) => {
    const input = parseInput(createRoomBody, req.body, 'room');
    sendData(res, await rooms.create(actorOf(req), input), 201);
  });

  router.get('/public', async (req, res) => {
    const q = parseInput(publicRoomsQuery, req.query, 'query');
    const result = await rooms.listPublic(actorOf(req), {
      q: q.q,
      limit: q.limit,
      cursor: q.cursor ?? q.before,
    });
    sendPage(res, result.items, result.page);
  });

  router.post('/direct', async (req, res) => {
    const { userId } = parseInput(directBody, req.body, 'request');
    const { room, created } = await rooms.openDirect(actorOf(req), userId);
    sendData(res, room, created ? 201 : 200);
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    sendData(res, await rooms.get(actorOf(req), id));
  });

  router.patch('/:id', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    const patch = parseInput(updateRoomBody, req.body, 'room');
    sendData(res, await rooms.update(actorOf(req), id, patch));
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    sendData(res, await rooms.remove(actorOf(req), id));
  });

  router.post('/:id/join', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    sendData(res, await rooms.join(actorOf(req), id));
  });

  router.post('/:id/leave', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    sendData(res, await rooms.leave(actorOf(req), id));
  });

  router.get('/:id/members', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    const q = parseInput(pageQuery, req.query, 'query');
    const result = await rooms.listMembers(actorOf(req), id, {
      limit: q.limit,
      cursor: q.cursor ?? q.before,
    });
    sendPage(res, result.items, result.page);
  });

  router.post('/:id/members', async (req, res) => {
    const { id } = parseInput(roomParams, req.params, 'room');
    const { userId } = parseInput(addMemberBody, req.body, 'member');
    const { member, added } = await rooms.addMember(actorOf(req), id, userId);
    sendData(res, member, added ? 201 : 200);
  });

  router.patch('/:id/members/:userId', async (req, res) => {
    const { id, userId } = parseInput(memberParams, req.params, 'member');
    const { role } = parseInput(setRoleBody, req.body, 'role');
    sendData(res, await rooms.setRole(actorOf(req), id, userId, role));
  });

  router.delete('/:id/members/:userId', async (req, res) => {
    const { id, userId } = parseInput(memberParams, req.params, 'member');
    sendData(res, await rooms.removeMember(actorOf(req), id, userId));
  });

  return router;
}
