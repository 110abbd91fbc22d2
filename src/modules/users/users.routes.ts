import { Router } from 'express';
import { actorOf } from '../../http/auth.js';
import { sendData, sendPage } from '../../http/respond.js';
import { parseInput } from '../../http/validate.js';
import { searchUsersQuery, statusBody, updateProfileBody, userIdParams } from './users.schemas.js';
import type { PresenceService } from './presence.service.js';
import type { UsersService } from './users.service.js';

/** Routes under /users; all of them need a signed-in caller (requireAuth is mounted in front). */
export function usersRoutes(deps: { users: UsersService; presence: PresenceService }): Router {
  const { users, presence } = deps;
  const router = Router();

  router.get('/online', async (req, res) => {
    const online = await presence.onlineUsersFor(actorOf(req));
    sendPage(res, online, { nextCursor: null, limit: online.length });
  });

  router.get('/profile', async (req, res) => {
    sendData(res, await users.getOwnProfile(actorOf(req)));
  });

  router.put('/profile', async (req, res) => {
    const patch = parseInput(updateProfileBody, req.body, 'profile');
    sendData(res, await users.updateProfile(actorOf(req), patch));
  });

  router.post('/status', async (req, res) => {
    const { status } = parseInput(statusBody, req.body, 'status');
    sendData(res, await users.setStatus(actorOf(req), status));
  });

  router.get('/search', async (req, res) => {
    const query = parseInput(searchUsersQuery, req.query, 'query');
    const result = await users.search(actorOf(req), {
      ...query,
      cursor: query.cursor ?? query.before,
    });
    sendPage(res, result.users, result.page);
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseInput(userIdParams, req.params, 'user id');
    sendData(res, await users.getProfile(id));
  });

  return router;
}
