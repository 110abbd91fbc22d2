import type { Actor, AppContext } from '../../context.js';
import { conflict, forbidden, toAppError, unauthorized } from '../../errors.js';
import type { UserRow } from '../../db/schema/index.js';
import {
  findUserById,
  findUserByLogin,
  insertUser,
  toOwnUser,
  touchLastSeen,
  updatePasswordHash,
  type OwnUser,
} from '../users/users.port.js';
import * as authRepo from './auth.repo.js';
import { SessionCache, type RevocationChannel } from './session-cache.js';
import type { LoginInput, RegisterInput } from './auth.schemas.js';
import { burnVerification, hashPassword, verifyPassword } from './passwords.js';
import { hashRefreshToken, newRefreshToken } from './tokens.js';

export interface ClientMeta {
  userAgent?: string;
  ip?: string;
}

export interface AuthResult {
  user: OwnUser;
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
}

/** A verified access token of a live session. */
export interface Authenticated {
  actor: Actor;
  tokenExpiresAt: Date;
  sessionExpiresAt: Date;
}

const INVALID_CREDENTIALS = 'Invalid email/username or password';

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(
  ctx: AppContext,
  hooks: {
    onUserCreated?: (user: UserRow) => Promise<void>;
    /** How revocations reach the other nodes' session caches (the room bus, over Redis). */
    revocations?: RevocationChannel;
  } = {},
) {
  const { db, signer, config } = ctx;
  const sessions = new SessionCache(hooks.revocations, {
    maxAgeMs: config.SESSION_CACHE_MS,
    maxEntries: 100_000,
  });

  /**
   * A session was revoked (committed): this node's cache forgets it before the revoking request
   * answers, every other node's when the revocation reaches it, and its sockets are closed everywhere.
   */
  function revoked(sessionId: string): void {
    sessions.invalidate(sessionId);
    hooks.revocations?.publish(sessionId);
    ctx.broadcaster.disconnectSession(sessionId);
  }

  async function issueTokens(user: UserRow, sessionId: string): Promise<AuthResult> {
    const refreshToken = newRefreshToken();
    await authRepo.insertRefreshToken(db, {
      tokenHash: hashRefreshToken(refreshToken),
      sessionId,
      expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_EXPIRES_IN),
    });
    const access = await signer.signAccess({ userId: user.id, sessionId });
    return {
      user: toOwnUser(user),
      accessToken: access.token,
      refreshToken,
      expiresAt: access.expiresAt.toISOString(),
    };
  }

  /**
   * The one token check, shared by the REST middleware, the Socket.io handshake and `reauth`; with
   * when the token and its session end, which a socket must not outlive.
   */
  async function verify(accessToken: string): Promise<Authenticated> {
    const claims = await signer.verifyAccess(accessToken);
    const cached = sessions.get(claims.sessionId, claims.userId);
    if (cached) {
      return {
        actor: cached.actor,
        tokenExpiresAt: claims.expiresAt,
        sessionExpiresAt: cached.sessionExpiresAt,
      };
    }
    const generation = sessions.generation;
    const live = await authRepo.findActiveSessionUser(db, claims.sessionId, claims.userId);
    if (!live) throw unauthorized('Session expired or revoked');
    const actor = { userId: live.userId, sessionId: claims.sessionId, username: live.username };
    sessions.fill(generation, actor, live.sessionExpiresAt);
    return { actor, tokenExpiresAt: claims.expiresAt, sessionExpiresAt: live.sessionExpiresAt };
  }

  /** A new session (sign-up, sign-in); `lastSeenAt` moves too. */
  async function openSession(user: UserRow, meta: ClientMeta): Promise<AuthResult> {
    await touchLastSeen(db, user.id);
    const session = await authRepo.insertSession(db, {
      userId: user.id,
      expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_EXPIRES_IN),
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ip: meta.ip ?? null,
    });
    return issueTokens(user, session.id);
  }

  /** Revokes every session of a user and closes their sockets on every node; how many. */
  async function revokeAllSessions(userId: string): Promise<number> {
    const all = await authRepo.revokeSessionsOfUser(db, userId);
    all.forEach(revoked);
    return all.length;
  }

  return {
    /** Creates the account and signs it in. One message for a taken username or email, to limit enumeration. */
    async register(input: RegisterInput, meta: ClientMeta): Promise<AuthResult> {
      const passwordHash = await hashPassword(input.password);
      let user: UserRow;
      try {
        user = await insertUser(db, {
          username: input.username,
          email: input.email,
          passwordHash,
        });
      } catch (err) {
        if (toAppError(err).code === 'CONFLICT')
          throw conflict('Username or email is already in use');
        throw err;
      }
      await hooks.onUserCreated?.(user);
      return openSession(user, meta);
    },

    /** Same answer and similar time for an unknown account and a wrong password. */
    async login(input: LoginInput, meta: ClientMeta): Promise<AuthResult> {
      const user = await findUserByLogin(db, input.identifier);
      if (!user) {
        await burnVerification(input.password);
        throw unauthorized(INVALID_CREDENTIALS);
      }
      if (!(await verifyPassword(user.passwordHash, input.password)))
        throw unauthorized(INVALID_CREDENTIALS);
      // Told only to whoever knows the password.
      if (user.deactivatedAt) throw forbidden('This account is deactivated');
      return openSession(user, meta);
    },

    /**
     * Rotates a refresh token. Presenting a token that was already rotated means it leaked (or a client
     * raced itself): the whole session is revoked and its sockets closed.
     */
    async refresh(refreshToken: string): Promise<AuthResult> {
      const tokenHash = hashRefreshToken(refreshToken);
      const live = await authRepo.consumeRefreshToken(db, tokenHash);
      if (!live) {
        const known = await authRepo.findRefreshToken(db, tokenHash);
        if (known?.rotatedAt) {
          await authRepo.revokeSession(db, known.sessionId);
          revoked(known.sessionId);
          ctx.log.warn(
            { sessionId: known.sessionId, userId: known.userId },
            'refresh token reuse: session revoked',
          );
        }
        throw unauthorized('Invalid refresh token');
      }
      const user = await findUserById(db, live.userId);
      if (!user || user.deactivatedAt) throw unauthorized('Invalid refresh token');
      await touchLastSeen(db, user.id);
      return issueTokens(user, live.sessionId);
    },

    /** Revokes the caller's session, and the refresh token's session when it is the same user's. */
    async logout(actor: Actor, refreshToken?: string): Promise<void> {
      const sessionIds = new Set([actor.sessionId]);
      if (refreshToken) {
        const known = await authRepo.findRefreshToken(db, hashRefreshToken(refreshToken));
        if (known && known.userId === actor.userId) sessionIds.add(known.sessionId);
      }
      for (const sessionId of sessionIds) {
        await authRepo.revokeSession(db, sessionId);
        revoked(sessionId);
      }
    },

    /**
     * Changes my password, given the current one: every other session is revoked and its sockets
     * closed (this one stays signed in).
     */
    async changePassword(
      actor: Actor,
      input: { currentPassword: string; newPassword: string },
    ): Promise<{ changed: true; sessionsRevoked: number }> {
      const user = await findUserById(db, actor.userId);
      if (!user) throw unauthorized('Session expired or revoked');
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        throw forbidden('The current password is not right');
      }
      await updatePasswordHash(db, user.id, await hashPassword(input.newPassword));
      const others = await authRepo.revokeSessionsOfUser(db, user.id, actor.sessionId);
      others.forEach(revoked);
      ctx.log.info({ userId: user.id, sessionsRevoked: others.length }, 'password changed');
      return { changed: true, sessionsRevoked: others.length };
    },

    /**
     * Revokes every session of a user and closes their sockets on every node (an admin deactivated
     * them): the same path as signing out everywhere.
     */
    revokeAllSessions,

    /** Signs me out everywhere: every session of mine, this one included, and their sockets. */
    async logoutAll(actor: Actor): Promise<{ loggedOut: true; sessionsRevoked: number }> {
      return { loggedOut: true, sessionsRevoked: await revokeAllSessions(actor.userId) };
    },

    verify,

    /** Of these sessions, those revoked or expired (a node re-checks its sockets' sessions with it). */
    deadSessions(sessionIds: string[]) {
      return authRepo.findDeadSessions(db, sessionIds);
    },

    /** `verify`, for callers that need only the actor (the REST middleware). */
    async authenticate(accessToken: string): Promise<Actor> {
      return (await verify(accessToken)).actor;
    },

    async me(actor: Actor): Promise<OwnUser> {
      const user = await findUserById(db, actor.userId);
      if (!user) throw unauthorized('Session expired or revoked');
      return toOwnUser(user);
    },
  };
}
