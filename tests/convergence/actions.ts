import { REGISTERED_PASSWORD, type Registered } from '../faults/support.js';
import { sleep } from '../helpers/sockets.js';
import type { ConvergenceClient } from './client.js';
import type { WireMessage } from './model.js';
import { restCall } from './rest.js';
import type { Rng } from './random.js';
import { Transient, type Recorder } from './recorder.js';

/**
 * A user's random behaviour: sends (over REST or the socket, each with a clientId, sometimes sent
 * again at once or after a reconnect), edits and deletes of their own messages, reactions, reads,
 * going offline and switching node, signing in again and out of the old session. Outcomes the contract allows during faults are retried until the
 * fault is over; anything else the contract rules out is recorded as a failure.
 */

export interface SendSpec {
  clientId: string;
  room: string;
  content: string;
  replyTo?: string;
}

/** An acknowledged send: every one must be stored exactly once, under this id. */
export interface AckedSend extends SendSpec {
  userId: string;
  id: string;
}

const ACTIONS = {
  send: 30,
  edit: 10,
  delete: 7,
  react: 18,
  read: 10,
  resend: 5,
  reconnect: 7,
  switchNode: 5,
  relogin: 3,
  moderated: 3,
} as const;
type Action = keyof typeof ACTIONS;

const EMOJIS = ['👍', '🎉', '😀', ':fire:'];

export class User {
  readonly acked = new Map<string, AckedSend>();
  /** My messages (id → room) that I have not deleted. */
  private readonly mine = new Map<string, string>();
  private sent = 0;
  /** The action under way (for the stall report). */
  doing = 'starting';

  constructor(
    readonly client: ConvergenceClient,
    /** The action stream: the same seed gives the same sequence of choices. */
    private readonly rng: Rng,
    /** Choices within retries, whose number depends on timing: kept out of the action stream. */
    private readonly side: Rng,
    private readonly rec: Recorder,
    /** Every user's name: sends and edits mention some of them (and sometimes `@all`). */
    private readonly usernames: readonly string[] = [],
    /** The run's rooms with their owner, who mutes and bans me in `moderated`. */
    private readonly owners: ReadonlyMap<
      string,
      { owner: Registered; type: 'public' | 'private' }
    > = new Map(),
  ) {}

  /** Text with, sometimes, a mention of a random user and `@all`. */
  private mentionText(): string {
    const parts: string[] = [];
    if (this.usernames.length > 0 && this.rng.chance(0.3))
      parts.push(`@${this.rng.pick(this.usernames)}`);
    if (this.rng.chance(0.05)) parts.push('@all');
    return parts.length ? ` ${parts.join(' ')}` : '';
  }

  private get rooms(): string[] {
    return [...this.client.views.keys()];
  }

  /** One random action. */
  async step(): Promise<Action> {
    const action = this.rng.weighted(ACTIONS);
    this.rec.count(`action ${action}`);
    this.doing = action;
    await this[action]();
    this.doing = 'idle';
    return action;
  }

  /** Tries `attempt` again after every Transient outcome, for up to `ms`. */
  private async retry<T>(what: string, attempt: (n: number) => Promise<T>, ms = 45_000) {
    const deadline = Date.now() + ms;
    for (let n = 0; ; n += 1) {
      try {
        return await attempt(n);
      } catch (err) {
        if (!(err instanceof Transient)) throw err;
        if (n > 0) this.rec.count('retries');
        if (Date.now() > deadline) {
          this.rec.fail(
            `${this.client.name}: ${what} still failing after ${ms} ms: ${err.message}`,
          );
          return undefined;
        }
        this.client.ensureConnected();
        await sleep(Math.min(100 * 2 ** n, 800));
      }
    }
  }

  private async send(): Promise<void> {
    const room = this.rng.pick(this.rooms);
    this.sent += 1;
    const spec: SendSpec = {
      clientId: `${this.client.name}-${this.sent}-${this.rng.token()}`,
      room,
      content: `${this.client.name} says ${this.sent} ${this.rng.token(10)}${this.mentionText()}`,
    };
    const own = [...this.mine].filter(([, r]) => r === room);
    if (own.length > 0 && this.rng.chance(0.15)) spec.replyTo = this.rng.pick(own)[0];
    await this.deliver(spec, this.rng.chance(0.5));
    // A client that did not see the answer in time sends the same clientId again.
    if (this.acked.has(spec.clientId) && this.rng.chance(0.2))
      await this.deliver(spec, this.rng.chance(0.5));
  }

  /** The same clientId again later (after reconnects): the same message, never a second one. */
  private async resend(): Promise<void> {
    const done = [...this.acked.values()].filter((s) => s.replyTo === undefined);
    if (done.length > 0) await this.deliver(this.rng.pick(done), this.rng.chance(0.5));
  }

  /** One send, retried with the same clientId until acknowledged. */
  private async deliver(spec: SendSpec, overSocket: boolean): Promise<void> {
    const prior = this.acked.get(spec.clientId);
    const body = { room: spec.room, content: spec.content, clientId: spec.clientId };
    const payload = spec.replyTo ? { ...body, replyTo: spec.replyTo } : body;
    const where = `${this.client.name}: send ${spec.clientId}${prior ? ' (again)' : ''}`;
    const message = await this.retry(where, async (n) => {
      if (overSocket && (n === 0 || this.side.chance(0.5)) && this.client.connected) {
        const ack = await this.client.emit<WireMessage>('send-message', payload);
        if (!ack.success) return void this.rec.fail(`${where}: ${JSON.stringify(ack.error)}`);
        return ack.data;
      }
      const res = await this.client.rest<WireMessage>('POST', '/api/messages', payload);
      if (res.status !== 201 && res.status !== 200)
        return void this.rec.fail(`${where}: ${res.status} ${res.code}`);
      if (prior && res.status !== 200) this.rec.fail(`${where}: ${res.status}, expected 200`);
      return res.data;
    });
    if (!message) return;
    if (prior && prior.id !== message.id)
      return this.rec.fail(`${where}: message ${message.id}, first acked as ${prior.id}`);
    if (!prior) {
      this.acked.set(spec.clientId, { ...spec, userId: this.client.user.id, id: message.id });
      this.mine.set(message.id, spec.room);
    }
    if (typeof message.rev === 'number') this.client.views.get(spec.room)?.applyMessage(message);
  }

  private async edit(): Promise<void> {
    if (this.mine.size === 0) return this.send();
    const [id, room] = this.rng.pick([...this.mine]);
    const content = `edited ${this.rng.token(10)}${this.mentionText()}`;
    const res = await this.retry(`${this.client.name}: edit ${id}`, () =>
      this.client.rest<WireMessage>('PUT', `/api/messages/${id}`, { content }),
    );
    if (!res) return;
    if (res.status !== 200) return this.rec.fail(`${this.client.name}: edit ${id}: ${res.status}`);
    if (typeof res.data?.rev === 'number') this.client.views.get(room)?.applyMessage(res.data);
  }

  private async delete(): Promise<void> {
    if (this.mine.size === 0) return this.send();
    const [id] = this.rng.pick([...this.mine]);
    let retried = false;
    const res = await this.retry(`${this.client.name}: delete ${id}`, (n) => {
      retried = n > 0;
      return this.client.rest('DELETE', `/api/messages/${id}`);
    });
    if (!res) return;
    // A retry after a lost answer may find the message already gone.
    if (res.status !== 200 && !(retried && res.status === 404))
      return this.rec.fail(`${this.client.name}: delete ${id}: ${res.status} ${res.code}`);
    this.mine.delete(id);
  }

  /** A message of one of my rooms that I see, or none. */
  private someVisible(): string | undefined {
    const room = this.rng.pick(this.rooms);
    const ids = this.client.views.get(room)!.visibleIds();
    return ids.length > 0 ? this.rng.pick(ids) : undefined;
  }

  private async react(): Promise<void> {
    const id = this.someVisible();
    if (!id) return;
    const emoji = this.rng.pick(EMOJIS);
    const res = await this.retry(`${this.client.name}: react ${id}`, () =>
      this.client.rest('POST', `/api/messages/${id}/react`, { emoji }),
    );
    // 404: its sender deleted it meanwhile.
    if (res && res.status !== 200 && res.status !== 404)
      this.rec.fail(`${this.client.name}: react ${id}: ${res.status} ${res.code}`);
  }

  private async read(): Promise<void> {
    const id = this.someVisible();
    if (!id) return;
    const overSocket = this.rng.chance(0.5);
    const code = await this.retry(`${this.client.name}: read ${id}`, async () => {
      if (overSocket && this.client.connected) {
        const ack = await this.client.emit('message-read', { messageId: id });
        return ack.success ? 'OK' : ack.error?.code;
      }
      const res = await this.client.rest('POST', `/api/messages/${id}/read`);
      return res.status === 200 ? 'OK' : res.code;
    });
    if (code !== undefined && code !== 'OK' && code !== 'NOT_FOUND')
      this.rec.fail(`${this.client.name}: read ${id}: ${code}`);
  }

  /**
   * A REST call as a room's owner (whose token changes when they sign in again: a 401 from a token
   * just replaced is retried with the new one).
   */
  private asOwner(owner: Registered, method: string, path: string, body?: unknown) {
    return this.retry(`${this.client.name}: ${method} ${path} by its owner`, async () => {
      const url = this.side.pick(this.client.urls);
      const token = owner.accessToken;
      const res = await restCall(this.rec, `${method} ${path} on ${url}`, url + path, {
        method,
        token,
        body,
      });
      if (res.status === 401 && owner.accessToken !== token) throw new Transient('new token');
      return res;
    });
  }

  /**
   * SPEC "Room moderation", from the member's side: the owner of one of my rooms mutes me (my sends
   * are refused with 403, nothing stored) and unmutes me; or bans me: my sockets stop receiving the
   * room (any event after its `room-left` is a leak), my send is refused, and once unbanned I am back
   * (joining a public room myself, re-added to a private one) with a view synced from the start.
   */
  private async moderated(): Promise<void> {
    const me = this.client.user.id;
    const rooms = this.rooms.filter((r) => {
      const o = this.owners.get(r);
      return o !== undefined && o.owner.id !== me;
    });
    if (rooms.length === 0) return this.send();
    const room = this.rng.pick(rooms);
    const { owner, type } = this.owners.get(room)!;
    const name = this.client.name;
    const refusedSend = async (why: string) => {
      const res = await this.retry(`${name}: send while ${why}`, () =>
        this.client.rest('POST', '/api/messages', { room, content: `while ${why}` }),
      );
      if (res && res.status !== 403 && res.status !== 404)
        this.rec.fail(`${name}: a send while ${why} answered ${res.status} ${res.code}`);
    };
    const expect = (
      what: string,
      res: { status: number; code?: string } | undefined,
      ok: number[],
    ) => {
      if (res && !ok.includes(res.status))
        this.rec.fail(`${name}: ${what} answered ${res.status} ${res.code}`);
    };
    if (this.rng.chance(0.5)) {
      this.rec.count('muted');
      const path = `/api/rooms/${room}/members/${me}/mute`;
      expect('mute', await this.asOwner(owner, 'POST', path, { minutes: 5 }), [200]);
      await refusedSend('muted');
      expect('unmute', await this.asOwner(owner, 'DELETE', path), [200]);
      return;
    }
    this.rec.count(`banned from a ${type} room`);
    this.client.banning.add(room);
    // 409: an earlier try did ban me, and its answer was lost.
    const banned = await this.asOwner(owner, 'POST', `/api/rooms/${room}/bans`, { userId: me });
    expect('ban', banned, [201, 409]);
    // The room's revision now (at least the one the ban committed at): whatever changes after it
    // must never reach me, room-left or not.
    const now = await this.asOwner(
      owner,
      'GET',
      `/api/messages?room=${room}&rev=999999999&limit=1`,
    );
    if (typeof now?.page?.rev === 'number') this.client.bannedAtRev.set(room, now.page.rev);
    else expect('rev after the ban', now, []);
    await this.client.leaveBanned(room);
    await refusedSend('banned');
    // 404: an earlier try did lift it.
    expect(
      'unban',
      await this.asOwner(owner, 'DELETE', `/api/rooms/${room}/bans/${me}`),
      [200, 404],
    );
    // The view exists before I am back: events of the room from then on are mine to apply.
    this.client.rejoined(room);
    const back =
      type === 'public'
        ? await this.retry(`${name}: rejoin`, () =>
            this.client.rest('POST', `/api/rooms/${room}/join`),
          )
        : await this.asOwner(owner, 'POST', `/api/rooms/${room}/members`, { userId: me });
    expect('coming back', back, [200, 201]);
    this.client.banning.delete(room);
    this.client.requestSync([room]);
  }

  /** Offline for a moment, then back on a random node (missing events meanwhile). */
  private async reconnect(): Promise<void> {
    this.client.drop();
    await sleep(this.rng.int(20, 400));
    await this.client.reconnect(this.rng.pick(this.client.urls));
    if (this.rng.chance(0.5)) await this.resend();
  }

  private async switchNode(): Promise<void> {
    const other = this.client.urls.find((u) => u !== this.client.url) ?? this.client.url;
    this.client.drop();
    await this.client.reconnect(other);
  }

  /**
   * A new session (login on some node), then a logout of the old one on a node of its own: the node
   * that revoked it refuses the old token at once, every node within a Redis round trip (or the
   * publisher's reconnect, or a killed node's restart), whatever faults are under way; the socket
   * moves to the new token. Session caches must never keep accepting a revoked session.
   */
  private async relogin(): Promise<void> {
    const { name, user, urls } = this.client;
    const old = user.accessToken;
    const loggedIn = await this.retry(`${name}: login`, async () => {
      const url = this.side.pick(urls);
      return restCall<{ accessToken: string }>(
        this.rec,
        `${name}: login on ${url}`,
        `${url}/api/auth/login`,
        {
          method: 'POST',
          token: '',
          body: { username: user.username, password: REGISTERED_PASSWORD },
        },
      );
    });
    if (!loggedIn) return;
    if (loggedIn.status !== 200 || !loggedIn.data)
      return this.rec.fail(`${name}: login: ${loggedIn.status} ${loggedIn.code}`);
    user.accessToken = loggedIn.data.accessToken;
    const logoutUrl = this.rng.pick(urls);
    const call = (url: string, method: string, path: string) =>
      restCall(this.rec, `${name}: ${method} ${path} on ${url}`, url + path, {
        method,
        token: old,
      });
    const out = await this.retry(`${name}: logout`, () =>
      call(logoutUrl, 'POST', '/api/auth/logout'),
    );
    // 401: an earlier try did log out, and its answer was lost.
    if (out && out.status !== 200 && out.status !== 401)
      return this.rec.fail(`${name}: logout: ${out.status} ${out.code}`);
    await this.client.reconnect(this.rng.pick(urls));
    for (const url of urls) {
      const deadline = Date.now() + (url === logoutUrl ? 0 : 10_000);
      for (;;) {
        const me = await this.retry(`${name}: old token on ${url}`, () =>
          call(url, 'GET', '/api/auth/me'),
        );
        if (!me || me.status === 401) break;
        if (Date.now() >= deadline) {
          this.rec.fail(`${name}: a revoked session still answered ${me.status} on ${url}`);
          break;
        }
        this.rec.count('revocation on its way');
        await sleep(20);
      }
    }
  }
}
