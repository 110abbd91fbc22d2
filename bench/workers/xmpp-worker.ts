/**
 * Load generator process for the ejabberd scenario: the socket worker's protocol (connect, step, count,
 * collect, close) over XMPP with @xmpp/client. Each client logs in over plain TCP on 127.0.0.1, joins
 * its MUC room (`<x xmlns='http://jabber.org/protocol/muc'>`, no history), and sends groupchat messages
 * whose body is `{"t":<send time>,"k":<step>}`. Every occupant, the sender included (MUC reflects a
 * message to its sender), records send→receive latency, as the socket worker does for `new-message`.
 * The reflection to the sender stands for the ack: it arrives once the room has archived (mod_mam) and
 * broadcast the message, matched by the message id.
 */
import { client, xml, type Element, type XmppClient } from '@xmpp/client';
import { Histogram, nowMs } from '../lib/histogram.js';
import type { ClientSpec, FromSocketWorker, ToSocketWorker } from '../lib/protocol.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';

const send = (msg: FromSocketWorker) => process.send?.(msg);
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

interface Client {
  spec: ClientSpec;
  xmpp: XmppClient;
  /** The occupant JID `room/nick`: messages from it are this client's own, reflected. */
  self: string;
}

interface PendingSend {
  t: number;
  room: string;
  timer: NodeJS.Timeout;
  done: (ok: boolean, error?: string) => void;
}

const clients: Client[] = [];
const steps = new Map<number, { received: number; hist: Histogram }>();
/** Sends of the running step waiting for their reflection, by message id. */
const pending = new Map<string, PendingSend>();
let late = 0;
let disconnects = 0;
let aborted = false;

function onMessage(c: Client, stanza: Element): void {
  if (!stanza.is('message')) return;
  const id = stanza.attrs.id;
  if (stanza.attrs.type === 'error') {
    const p = id ? pending.get(id) : undefined;
    const condition = stanza.getChild('error')?.getChildElements()[0]?.name ?? 'unknown';
    p?.done(false, `error ${condition}`);
    return;
  }
  if (stanza.attrs.type !== 'groupchat' || stanza.getChild('delay', 'urn:xmpp:delay')) return;
  const at = nowMs();
  let body: { t?: number; k?: number };
  try {
    body = JSON.parse(stanza.getChildText('body') ?? '') as typeof body;
  } catch {
    return; // the subject, or anything else that is not ours
  }
  if (typeof body.t !== 'number' || typeof body.k !== 'number') return;
  const step = steps.get(body.k);
  if (!step) late += 1;
  else {
    step.received += 1;
    step.hist.record(at - body.t);
  }
  if (id && stanza.attrs.from === c.self) pending.get(id)?.done(true);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Logs in, then joins the room and waits for the room's presence of this occupant (status 110). */
async function open(spec: ClientSpec, timeoutMs: number): Promise<Client> {
  if (!spec.xmpp) throw new Error('no XMPP account in the client spec');
  const { domain, username, password } = spec.xmpp;
  const xmpp = client({
    service: spec.url,
    domain,
    username,
    resource: 'bench',
    timeout: timeoutMs,
    // PLAIN, which @xmpp/client only picks by itself over TLS: its SCRAM-SHA-1 runs 4,096 HMAC rounds
    // through WebCrypto per login (~35 s for 400 logins on the generator's core); ejabberd checks the
    // password natively. Setup only: the measured steps are unaffected.
    credentials: (authenticate, mechanisms) =>
      authenticate({ username, password }, mechanisms.includes('PLAIN') ? 'PLAIN' : mechanisms[0]!),
  });
  xmpp.reconnect.stop();
  xmpp.on('error', () => {}); // surfaced by start() or counted as a disconnect
  const c: Client = { spec, xmpp, self: `${spec.room}/${username}` };
  try {
    await withTimeout(xmpp.start(), timeoutMs, 'login');
    const joined = new Promise<void>((resolve, reject) => {
      const onStanza = (stanza: Element) => {
        if (!stanza.is('presence') || stanza.attrs.from !== c.self) return;
        xmpp.off('stanza', onStanza);
        if (stanza.attrs.type === 'error') reject(new Error('join refused'));
        else if (
          stanza
            .getChild('x', MUC_USER)
            ?.getChildren('status')
            .some((s) => s.attrs.code === '110')
        )
          resolve();
        else reject(new Error('unexpected join presence'));
      };
      xmpp.on('stanza', onStanza);
    });
    await xmpp.send(
      xml(
        'presence',
        { to: c.self },
        xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' })),
      ),
    );
    await withTimeout(joined, timeoutMs, 'join');
  } catch (err) {
    await xmpp.stop().catch(() => {});
    throw err;
  }
  xmpp.on('stanza', (stanza: Element) => onMessage(c, stanza));
  xmpp.on('offline', () => (disconnects += 1));
  return c;
}

async function connectAll(specs: ClientSpec[], concurrency: number, timeoutMs: number) {
  const connectHist = new Histogram();
  const errors: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const progress = setInterval(
    () => send({ type: 'progress', connected: clients.length, failed }),
    500,
  );
  const lane = async () => {
    while (next < specs.length && !aborted) {
      const spec = specs[next++]!;
      const t0 = performance.now();
      try {
        clients.push(await open(spec, timeoutMs));
        connectHist.record(performance.now() - t0);
      } catch (err) {
        failed += 1;
        bump(errors, (err as Error).message.slice(0, 80));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  clearInterval(progress);
  const roomMembers: Record<string, number> = {};
  for (const c of clients) bump(roomMembers, c.spec.room);
  send({
    type: 'connected',
    connected: clients.length,
    failed,
    errors,
    connectHist: connectHist.toJSON(),
    roomMembers,
  });
}

async function runStep(msg: Extract<ToSocketWorker, { type: 'step' }>) {
  steps.set(msg.id, { received: 0, hist: new Histogram() });
  const ackHist = new Histogram();
  const errors: Record<string, number> = {};
  const ackedByRoom: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let cursor = 0;
  const waits: Promise<void>[] = [];
  const sendOne = () => {
    const c = clients[cursor++ % clients.length]!;
    const t = nowMs();
    const id = `${process.pid}-${msg.id}-${sent}`;
    sent += 1;
    waits.push(
      new Promise<void>((resolve) => {
        const done = (ok: boolean, error?: string) => {
          if (!pending.delete(id)) return;
          clearTimeout(entry.timer);
          if (ok) {
            acked += 1;
            ackHist.record(nowMs() - t);
            bump(ackedByRoom, c.spec.room);
          } else {
            failed += 1;
            bump(errors, error ?? 'error');
          }
          resolve();
        };
        const entry: PendingSend = {
          t,
          room: c.spec.room,
          timer: setTimeout(() => done(false, 'ack timeout'), msg.ackTimeoutMs),
          done,
        };
        pending.set(id, entry);
      }),
    );
    c.xmpp
      .send(
        xml(
          'message',
          { to: c.spec.room, type: 'groupchat', id },
          xml('body', {}, JSON.stringify({ t, k: msg.id })),
        ),
      )
      .catch(() => pending.get(id)?.done(false, 'send failed'));
  };
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Math.min(performance.now() - start, msg.durationMs);
      const due = Math.floor((elapsed * msg.rate) / 1000) - sent;
      for (let i = 0; i < due; i++) sendOne();
      if (elapsed >= msg.durationMs) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendMs = performance.now() - start;
  await Promise.all(waits);
  send({
    type: 'stepDone',
    id: msg.id,
    sent,
    acked,
    failed,
    errors,
    ackedByRoom,
    ackHist: ackHist.toJSON(),
    sendMs,
  });
}

process.on('message', (msg: ToSocketWorker) => {
  switch (msg.type) {
    case 'connect':
      void connectAll(msg.clients, msg.concurrency, msg.timeoutMs);
      break;
    case 'abort':
      aborted = true;
      break;
    case 'step':
      if (clients.length === 0) {
        send({
          type: 'stepDone',
          id: msg.id,
          sent: 0,
          acked: 0,
          failed: 0,
          errors: {},
          ackedByRoom: {},
          ackHist: new Histogram().toJSON(),
          sendMs: msg.durationMs,
        });
        steps.set(msg.id, { received: 0, hist: new Histogram() });
      } else void runStep(msg);
      break;
    case 'count':
      send({ type: 'count', id: msg.id, received: steps.get(msg.id)?.received ?? 0 });
      break;
    case 'collect': {
      const step = steps.get(msg.id);
      steps.delete(msg.id);
      send({
        type: 'collected',
        id: msg.id,
        received: step?.received ?? 0,
        late,
        disconnects,
        hist: (step?.hist ?? new Histogram()).toJSON(),
      });
      break;
    }
    case 'close':
      void Promise.all(clients.map((c) => c.xmpp.stop().catch(() => {}))).finally(() => {
        send({ type: 'closed' });
        setTimeout(() => process.exit(0), 100);
      });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
