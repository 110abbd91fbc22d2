import { Router, type Request, type RequestHandler } from 'express';
import { actorOf } from '../../http/auth.js';
import { sendData } from '../../http/respond.js';
import { parseInput } from '../../http/validate.js';
import {
  changePasswordBody,
  loginBody,
  logoutBody,
  refreshBody,
  registerBody,
} from './auth.schemas.js';
import type { AuthService, ClientMeta } from './auth.service.js';

function clientMeta(req: Request): ClientMeta {
  return { userAgent: req.get('user-agent'), ip: req.ip };
}

export function authRoutes(deps: {
  auth: AuthService;
  requireAuth: RequestHandler;
  authLimiter: RequestHandler;
}): Router {
  const { auth, requireAuth, authLimiter } = deps;
  const router = Router();

  router.post('/register', authLimiter, async (req, res) => {
    const input = parseInput(registerBody, req.body, 'registration');
    sendData(res, await auth.register(input, clientMeta(req)), 201);
  });

  router.post('/login', authLimiter, async (req, res) => {
    const input = parseInput(loginBody, req.body, 'login');
    sendData(res, await auth.login(input, clientMeta(req)));
  });

  router.post('/refresh', async (req, res) => {
    const { refreshToken } = parseInput(refreshBody, req.body);
    sendData(res, await auth.refresh(refreshToken));
  });

  router.get('/me', requireAuth, async (req, res) => {
    sendData(res, await auth.me(actorOf(req)));
  });

  router.post('/logout', requireAuth, async (req, res) => {
    const { refreshToken } = parseInput(logoutBody, req.body ?? {});
    await auth.logout(actorOf(req), refreshToken);
    sendData(res, { loggedOut: true });
  });

  // The current password is checked: as brute-forceable as a login, so limited like one.
  router.post('/password', requireAuth, authLimiter, async (req, res) => {
    const input = parseInput(changePasswordBody, req.body, 'password change');
    sendData(res, await auth.changePassword(actorOf(req), input));
  });

  router.post('/logout-all', requireAuth, async (req, res) => {
    sendData(res, await auth.logoutAll(actorOf(req)));
  });

  return router;
}
